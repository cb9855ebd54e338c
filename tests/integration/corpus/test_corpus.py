"""The fair-grading corpus: realistic submissions graded by the real CLI in the real sandbox.

One class of 180 students is generated with ``calcgrade generate``; each case of
:mod:`cases` becomes one student's notebook; all of them are graded in one batch with
``calcgrade grade``. Each case then checks every part's score against the fair grader's
fraction (computed independently in :mod:`oracle`), the catalogued mistake where the
case is one, and that the notebook's own self-check agrees with the grader about which
answers are readable.
"""

from __future__ import annotations

import csv
import doctest
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from calcgrade.core.names import answer_variable

from . import oracle
from .cases import CASES, Student
from .notebooks import build_notebook, expectations
from .selfcheck import SelfCheckKernel

HERE = Path(__file__).parent
ASSIGNMENT = HERE / "assignment.toml"
STUDENTS = 180
SECRET_HEX = "c0ffee" * 10 + "c0ffee00"
UNREADABLE = {"format_error", "missing"}


def _cli() -> list[str]:
    """The installed ``calcgrade`` command of this interpreter."""
    script = Path(sys.executable).with_name("calcgrade")
    if script.exists():
        return [str(script)]
    return [shutil.which("calcgrade")] if shutil.which("calcgrade") else [sys.executable, "-m", "calcgrade.grader.cli"]


def _environment() -> dict:
    return {**os.environ, "CALCGRADE_SECRET": SECRET_HEX}


def _calcgrade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*_cli(), *args], cwd=cwd, env=_environment(), capture_output=True, text=True,
                          timeout=900)


def _assign(students: list[Student]) -> dict[str, Student]:
    """Each case gets the first unused student whose variant suits it."""
    free, chosen = list(students), {}
    for case in CASES:
        for student in free:
            try:
                fits = case.fits(student)
            except Exception:  # noqa: BLE001 - a predicate that cannot decide: not this student
                fits = False
            if fits:
                chosen[case.name] = student
                free.remove(student)
                break
        else:
            raise AssertionError(f"no student of the class fits case {case.name}")
    return chosen


def _read_parts(out: Path) -> dict[str, dict[str, dict]]:
    connection = sqlite3.connect(out / "gradebook.sqlite")
    rows = connection.execute(
        "SELECT s.student, p.problem, p.answer, p.score, p.max, p.status, p.mistake, p.feedback "
        "FROM parts p JOIN submissions s ON s.hash = p.hash").fetchall()
    connection.close()
    parts: dict[str, dict[str, dict]] = {}
    for student, problem, answer, score, top, status, mistake, feedback in rows:
        parts.setdefault(student, {})[answer_variable(problem, answer)] = {
            "fraction": score / top if top else 0.0, "status": status, "mistake": mistake,
            "feedback": feedback}
    return parts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    roster = root / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"c{i:03d},Student {i}\n" for i in range(STUDENTS)),
                      encoding="utf-8")
    generated = _calcgrade("generate", str(ASSIGNMENT), "--roster", str(roster), "--out", "class", cwd=root)
    assert generated.returncode == 0, generated.stderr
    key = json.loads((root / "class" / "key.json").read_text(encoding="utf-8"))
    students = [Student(record) for record in key["students"]]
    chosen = _assign(students)

    subs = root / "submissions"
    subs.mkdir()
    expected, mistakes = {}, {}
    for case in CASES:
        student = chosen[case.name]
        notebook = json.loads((root / "class" / "notebooks" / f"{student.id}.ipynb").read_text(encoding="utf-8"))
        edit = case.build(student)
        (subs / f"{student.id}.ipynb").write_text(json.dumps(build_notebook(notebook, student, edit), indent=1),
                                                 encoding="utf-8")
        expected[case.name] = expectations(notebook, edit)
        mistakes[case.name] = edit.mistakes

    grading = subprocess.Popen(
        [*_cli(), "grade", str(subs), "--assignment", str(ASSIGNMENT), "--roster", str(roster),
         "--out", str(root / "out")],
        cwd=root, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with SelfCheckKernel() as kernel:  # runs while the sandbox grades
        by_path = kernel.ready_many([subs / f"{chosen[case.name].id}.ipynb" for case in CASES])
    ready = {case.name: by_path[subs / f"{chosen[case.name].id}.ipynb"] for case in CASES}
    stdout, stderr = grading.communicate(timeout=900)
    assert grading.returncode == 0, stderr
    with open(root / "out" / "grades.csv", encoding="utf-8", newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    return {"root": root, "key": key, "chosen": chosen, "expected": expected, "mistakes": mistakes,
            "ready": ready, "parts": _read_parts(root / "out"), "grades": grades}


@pytest.mark.slow
@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_case(corpus, name):
    student = corpus["chosen"][name].id
    parts = corpus["parts"].get(student)
    assert corpus["grades"][student]["status"] == "graded", corpus["grades"][student]
    assert (corpus["root"] / "out" / "feedback" / f"{student}.md").exists()
    assert parts is not None, f"{student} was not graded"
    wrong = {}
    for part, fraction in corpus["expected"][name].items():
        got = parts.get(part, {"fraction": None, "status": "absent", "feedback": ""})
        if got["fraction"] is None or abs(got["fraction"] - fraction) > 1e-3:
            wrong[part] = (f"fair {fraction:.4g}, graded {got['fraction'] if got['fraction'] is None else round(got['fraction'], 4)}"
                           f" [{got['status']}] {got['feedback'][:160]!r}")
    for part, mistake in corpus["mistakes"][name].items():
        if parts.get(part, {}).get("mistake") != mistake:
            wrong[part + " (mistake)"] = f"expected {mistake}, diagnosed {parts.get(part, {}).get('mistake')}"
    ready = corpus["ready"][name]
    for part, got in parts.items():
        unreadable = got["status"] in UNREADABLE
        if unreadable == (part in ready):
            wrong[part + " (self-check)"] = (f"grader {got['status']}, self-check "
                                             f"{'ready' if part in ready else 'not ready'}")
    assert not wrong, f"{name} ({student}):\n" + "\n".join(f"  {k}: {v}" for k, v in sorted(wrong.items()))


def _expression_close(mine, text: str, names: list[str]) -> bool:
    reference = oracle.parse(text, names)
    symbols = oracle.symbols(names)
    left = sp.lambdify(symbols, mine, "math")
    right = sp.lambdify(symbols, reference, "math")
    checked = 0
    samples = ([0.7, 1.3, 1.9], [1.1, 0.4, 2.3], [2.6, 1.7, 0.9], [-2.3, -0.6, 1.4], [-0.8, -1.9, -0.3])
    for point in (sample[: len(names)] for sample in samples):
        try:
            a, b = left(*point), right(*point)
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
        checked += 1
        if abs(a - b) > 1e-8 * (1 + abs(b)):
            return False
    return checked > 0


@pytest.mark.slow
def test_independent_answers_agree_with_the_key(corpus):
    """The corpus's oracle and the key (calcgrade's solvers) agree on every variant in use."""
    disagreements = []
    for student in corpus["chosen"].values():
        for number, problem in student.problems.items():
            mine = student.a(number)
            names = problem["params"].get("vars") or [problem["params"].get("var", "x")]
            for answer, reference in problem["answers"].items():
                value = mine[answer]
                if isinstance(value, sp.Basic):
                    ok = _expression_close(value, reference, names)
                elif isinstance(reference, str) or (isinstance(reference, list) and reference
                                                    and isinstance(reference[0], str)):
                    ok = value == reference
                else:
                    flat_a = json.loads(json.dumps(value))
                    ok = json.dumps(_shape(flat_a)) == json.dumps(_shape(reference)) and all(
                        oracle.close(a, b) for a, b in zip(_flatten(flat_a), _flatten(reference)))
                if not ok:
                    disagreements.append(f"{student.id} q{number}_{answer}: key {reference!r}, oracle {value!r}")
    assert not disagreements, "\n".join(disagreements)


def _flatten(value):
    if isinstance(value, list):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _shape(value):
    if isinstance(value, list):
        return [len(value)] + (_shape(value[0]) if value else [])
    return []


def test_corpus_helpers_examples():
    """The corpus's own modules keep their docstring examples true."""
    from . import cases, notebooks, selfcheck
    for module in (oracle, cases, notebooks, selfcheck):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_self_check_report_names_ready_answers():
    """A report read as the self-check prints it: listed names are not ready."""
    from .selfcheck import parse_report
    report = ("Self-check: 2 of 5 answers ready (it checks the format only).\n\n"
              "Still empty (replace the ... with your answer):\n  q1_a, q2_b\n\n"
              "Wrong type or shape:\n  q3_c: expected a number; got text\n")
    assert parse_report(report, {"q1_a", "q2_b", "q3_c", "q4_d", "q5_e"}) == {"q4_d", "q5_e"}
    assert parse_report("Traceback (most recent call last): ...", {"q1_a"}) == set()
