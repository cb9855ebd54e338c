"""``calcgrade grade`` end to end: real notebooks, the real sandbox, the real gradebook."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest

from calcgrade.core.names import answer_variable
from calcgrade.grader.grade import grade
from calcgrade.grader.gradebook import Gradebook
from calcgrade.grader.simulate import fill_answers, simulated_answers
from calcgrade.problems import get_family

from ..grader.classes import EXAMPLE_ASSIGNMENT, SECRET, SECRET_HEX, example_class

pytestmark = pytest.mark.slow
STUDENTS = 16


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return example_class(tmp_path_factory.mktemp("course"), STUDENTS)


def notebook_text(course, student: str) -> str:
    return (course["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")


def submit(course, folder, student: str, values: dict | None = None, extra: str = "",
           name: str | None = None) -> None:
    """Write ``student``'s notebook filled with ``values`` (and ``extra`` code appended to the
    setup cell) into ``folder`` as ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    text = fill_answers(notebook_text(course, student), values or {})
    if extra:
        notebook = json.loads(text)
        notebook["cells"][1]["source"] += "\n" + extra
        text = json.dumps(notebook)
    (folder / (name or f"{student}.ipynb")).write_text(text, encoding="utf-8")


def run_grade(course, folder, out, **options):
    return grade([str(folder)], str(EXAMPLE_ASSIGNMENT), str(course["roster"]), str(out), SECRET,
                 **options)


def read_grades(out) -> dict[str, dict]:
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def parts_of(out, student: str) -> dict[str, object]:
    with Gradebook(out / "gradebook.sqlite") as book:
        record = next(r for r in book.submissions() if r.student == student)
        return {answer_variable(p.problem, p.answer): p for p in book.parts(record.hash)}


def wrong_values(record: dict) -> dict:
    """An answer to every part that is certainly wrong, of the right type and shape."""
    values = {}
    for problem in record["problems"]:
        family = get_family(problem["family"])
        specs = family.answer_specs(problem["params"])
        for name, value in problem["answers"].items():
            spec = specs[name]
            if spec.kind == "label":
                value = next(label for label in spec.labels if label != value)
            elif spec.kind == "expression":
                value = "x**7 + 12345"
            else:
                value = json.loads(json.dumps(value), parse_float=lambda t: float(t) + 1000.0,
                                   parse_int=lambda t: int(t) + 1000)
            values[answer_variable(problem["number"], name)] = value
    return values


def test_correct_mistake_and_slip(course, tmp_path):
    key = course["key"]
    subs = tmp_path / "subs"
    for student, kind in (("s0000", "correct"), ("s0001", "mistake"), ("s0002", "slip")):
        submit(course, subs, student, simulated_answers(key[student], kind))
    out = tmp_path / "out"
    summary = run_grade(course, subs, out)
    assert summary.graded == 3
    grades = read_grades(out)
    assert grades["s0000"]["status"] == "graded"
    assert grades["s0000"]["total"] == grades["s0000"]["max"] == "15"

    correct = simulated_answers(key["s0001"], "correct")
    mistaken = simulated_answers(key["s0001"], "mistake")
    changed = [name for name in correct if mistaken[name] != correct[name]]
    assert changed and len({name.split("_")[0] for name in changed}) == 1  # one problem
    parts = parts_of(out, "s0001")
    lost = [name for name, part in parts.items() if part.score < part.max]
    assert lost == changed
    assert all(parts[name].mistake is not None for name in changed)
    feedback = (out / "feedback" / "s0001.md").read_text(encoding="utf-8")
    assert "Likely mistake:" in feedback
    assert parts[changed[0]].mistake not in feedback  # ids stay in the gradebook and the CSVs

    parts = parts_of(out, "s0002")
    slipped = [name for name, part in parts.items() if part.score < part.max]
    assert slipped == ["q4_iterates"]
    assert parts["q4_iterates"].score == pytest.approx(parts["q4_iterates"].max * 2 / 3, abs=1e-4)
    assert "Step 1 is the first wrong step" in parts["q4_iterates"].feedback


HOSTILE = r'''
import math, builtins, json
import numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
math.isclose = lambda *a, **k: True
json.dumps = lambda *a, **k: '{"score": 15}'
class Sneaky(float):
    def __eq__(self, other): return True
    def __sub__(self, other): return 0.0
    def __rsub__(self, other): return 0.0
    def __abs__(self): return 0.0
    def __float__(self): return 0.0
class Liar:
    def __eq__(self, other): return True
    def __sub__(self, other): return 0
    __rsub__ = __sub__
    def __float__(self): return 1.0
try:
    import calcgrade.core.answers as compare
    compare.answer_matches = lambda *a, **k: True
    compare.scalar_close = lambda *a, **k: True
except Exception:
    pass
print("All tests passed! Score: 15/15")
print('{"score": 15, "tests": []}')
'''


def test_student_code_cannot_change_its_grade(course, tmp_path):
    key = course["key"]
    subs = tmp_path / "subs"
    wrong = wrong_values(key["s0003"])
    submit(course, subs, "s0003", wrong, extra=HOSTILE)
    correct = simulated_answers(key["s0004"], "correct")
    values = dict(correct)
    values["q1_value"] = "__SNEAKY__"
    values["q3_sigmoid_prime"] = "__LIAR__"
    submit(course, subs, "s0004", values, extra=HOSTILE)
    text = (subs / "s0004.ipynb").read_text(encoding="utf-8")
    text = text.replace("q1_value = '__SNEAKY__'", "q1_value = Sneaky(123.0)")
    text = text.replace("q3_sigmoid_prime = '__LIAR__'", "q3_sigmoid_prime = Liar()")
    (subs / "s0004.ipynb").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    run_grade(course, subs, out)
    grades = read_grades(out)
    assert grades["s0003"]["status"] == "graded" and grades["s0003"]["total"] == "0"
    parts = parts_of(out, "s0004")
    lost = sorted(name for name, part in parts.items() if part.score < part.max)
    assert lost == ["q1_value", "q3_sigmoid_prime"]
    assert parts["q3_sigmoid_prime"].status == "format_error"
    expected_total = 15 - parts["q1_value"].max - parts["q3_sigmoid_prime"].max
    assert float(grades["s0004"]["total"]) == pytest.approx(expected_total)


BAD = {
    "s0005": ("loop", "while True:\n    pass"),
    "s0006": ("allocation", "hog = []\nwhile True:\n    hog.append(bytearray(50_000_000))"),
    "s0007": ("exit", "import os\nos._exit(1)"),
}


def test_bad_submissions_get_an_error_row_and_the_batch_finishes(course, tmp_path):
    subs = tmp_path / "subs"
    correct = simulated_answers(course["key"]["s0008"], "correct")
    submit(course, subs, "s0008", correct)
    for student, (_, code) in BAD.items():
        submit(course, subs, student, simulated_answers(course["key"][student], "correct"), extra=code)
    (subs / "s0009.ipynb").write_text("{ not json", encoding="utf-8")
    (subs / "s0010.ipynb").write_text('{"just": "json"}', encoding="utf-8")
    (subs / "s0011.ipynb").write_bytes(bytes(range(256)))
    out = tmp_path / "out"
    summary = run_grade(course, subs, out, timeout=4, memory_mib=600)
    assert summary.inputs == 7
    grades = read_grades(out)
    assert list(grades) == [f"s{i:04d}" for i in range(STUDENTS)]
    assert grades["s0008"]["status"] == "graded" and grades["s0008"]["total"] == "15"
    assert grades["s0005"]["status"] == "timeout"
    assert grades["s0006"]["status"] in ("memory", "crashed", "graded")
    if grades["s0006"]["status"] == "graded":  # MemoryError inside a cell: answers still read
        assert "memory" in grades["s0006"]["flags"]
    assert grades["s0007"]["status"] == "crashed"
    for student in ("s0009", "s0010", "s0011"):
        assert grades[student]["status"] == "invalid" and grades[student]["reason"]
    for student in ("s0005", "s0007", "s0009"):
        assert grades[student]["reason"]
    assert grades["s0012"]["status"] == "missing"
    with open(out / "submissions.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 7 and all(row["status"] for row in rows)


def test_identification_from_names_folders_zip_and_tokens(course, tmp_path):
    key = course["key"]
    subs = tmp_path / "subs"
    submit(course, subs, "s0000", simulated_answers(key["s0000"], "correct"), name="s0000_hw3_final.ipynb")
    submit(course, subs / "s0001", "s0001", simulated_answers(key["s0001"], "correct"), name="answers.ipynb")
    submit(course, subs, "s0002", simulated_answers(key["s0002"], "correct"), name="s0003.ipynb")
    submit(course, tmp_path / "loose", "s0004", simulated_answers(key["s0004"], "correct"),
           name="Homework 3 (1).ipynb")
    with zipfile.ZipFile(subs / "lms-export.zip", "w") as archive:
        archive.write(tmp_path / "loose" / "Homework 3 (1).ipynb", "export/Homework 3 (1).ipynb")
        archive.writestr("__MACOSX/._junk.ipynb", "junk")
    (subs / "notes.txt").write_text("not a submission", encoding="utf-8")
    out = tmp_path / "out"
    run_grade(course, subs, out)
    grades = read_grades(out)
    assert grades["s0000"]["total"] == "15" and grades["s0001"]["total"] == "15"
    assert grades["s0004"]["total"] == "15"
    assert "signed metadata" in grades["s0004"]["flags"]
    assert "generated for 's0002'" in grades["s0003"]["flags"]
    assert float(grades["s0003"]["total"]) < 15  # graded as s0003's own variant
    with open(out / "submissions.csv", encoding="utf-8", newline="") as handle:
        rows = {row["path"][len(str(subs)) + 1:]: row for row in csv.DictReader(handle)}
    assert len(rows) == 6  # every file, the junk and the text file too
    assert rows["lms-export.zip!export/Homework 3 (1).ipynb"]["status"] == "graded"
    junk = rows["lms-export.zip!__MACOSX/._junk.ipynb"]
    assert junk["status"] == "skipped" and junk["counted"] == "no"
    assert rows["notes.txt"]["status"] == "not_notebook" and rows["notes.txt"]["student"] == ""


def test_gradescope_results_have_the_documented_fields(course, tmp_path):
    subs = tmp_path / "subs"
    submit(course, subs, "s0013", simulated_answers(course["key"]["s0013"], "mistake"))
    out = tmp_path / "out"
    run_grade(course, subs, out)
    results = json.loads((out / "results" / "s0013.json").read_text(encoding="utf-8"))
    assert isinstance(results["score"], (int, float)) and results["score"] < 15
    assert results["tests"]
    for test in results["tests"]:
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["output"], str)
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(results["score"])
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(15)
    feedback = (out / "feedback" / "s0013.html").read_text(encoding="utf-8")
    assert feedback.startswith("<!DOCTYPE html>") and "Reference" not in feedback


def _cli_grade(course, subs, out):
    env = dict(os.environ, CALCGRADE_SECRET=SECRET_HEX)
    return subprocess.Popen(
        [sys.executable, "-m", "calcgrade.grader.cli", "grade", str(subs), "--assignment",
         str(EXAMPLE_ASSIGNMENT), "--roster", str(course["roster"]), "--out", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _graded_count(out) -> int:
    try:
        db = sqlite3.connect(out / "gradebook.sqlite", timeout=5)
    except sqlite3.Error:
        return 0
    try:
        return db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def test_a_killed_batch_resumes_to_the_same_grades_and_reruns_do_nothing(course, tmp_path):
    key = course["key"]
    subs = tmp_path / "subs"
    for index, student in enumerate(("s0000", "s0001", "s0002", "s0003", "s0004", "s0005")):
        slow = "import time\ntime.sleep(1.5)" if index else ""
        submit(course, subs, student, simulated_answers(key[student], ("correct", "mistake", "slip")[index % 3]),
               extra=slow)
    straight = tmp_path / "straight"
    assert _cli_grade(course, subs, straight).wait(timeout=300) == 0

    interrupted = tmp_path / "interrupted"
    process = _cli_grade(course, subs, interrupted)
    deadline = time.monotonic() + 120
    while _graded_count(interrupted) < 1 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the batch finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    partial = _graded_count(interrupted)
    assert 1 <= partial < 6
    resumed = _cli_grade(course, subs, interrupted)
    output, _ = resumed.communicate(timeout=300)
    assert resumed.returncode == 0
    assert f"{6 - partial} graded now, {partial} already graded" in output
    assert (interrupted / "grades.csv").read_bytes() == (straight / "grades.csv").read_bytes()

    again = _cli_grade(course, subs, straight)
    output, _ = again.communicate(timeout=300)
    assert "0 graded now, 6 already graded" in output


@pytest.mark.parametrize("args, fragment", [
    (["nowhere"], "nowhere: no such file or folder"),
])
def test_grade_usage_errors(course, tmp_path, args, fragment):
    env = dict(os.environ, CALCGRADE_SECRET=SECRET_HEX)
    result = subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "grade", *args,
                             "--assignment", str(EXAMPLE_ASSIGNMENT), "--roster", str(course["roster"]),
                             "--out", str(tmp_path / "out")], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and fragment in result.stderr


def test_an_output_folder_of_another_assignment_is_refused(course, tmp_path):
    out = tmp_path / "out"
    with Gradebook(out.mkdir() or out / "gradebook.sqlite") as book:
        book.set_meta("assignment", "some-other-assignment")
    submit(course, tmp_path / "subs", "s0000")
    with pytest.raises(Exception, match="holds the grades of assignment 'some-other-assignment'"):
        run_grade(course, tmp_path / "subs", out)


def test_the_instructor_gets_every_part_with_its_mistake_id(course, tmp_path):
    import csv

    key = course["key"]
    subs = tmp_path / "subs"
    submit(course, subs, "s0001", simulated_answers(key["s0001"], "mistake"))
    out = tmp_path / "out"
    run_grade(course, subs, out)
    with open(out / "parts.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parts = parts_of(out, "s0001")
    assert len(rows) == len(parts) and {r["student"] for r in rows} == {"s0001"}
    mistakes = {r["mistake"] for r in rows if r["mistake"]}
    assert mistakes and mistakes == {p.mistake for p in parts.values() if p.mistake}


def _my_workers() -> set[int]:
    """Sandbox workers started by this process that are still running (other tests' pools
    included: compare with what ran before)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] not in (b"Z", b"X") \
                and b"calcgrade.grader.sandbox.worker" in command:
            found.add(int(entry))
    return found


def test_one_notebook_from_the_command_line_starts_one_early_worker(course, tmp_path):
    """A single notebook file: one worker, launched before the grading modules load and
    without the warm-up a batch needs; the notebook is graded, a rerun changes nothing, and
    neither run (nor one stopped by a usage error) leaves a worker behind."""
    from calcgrade.grader import cli

    before = _my_workers()
    student = "s0003"
    submit(course, tmp_path / "subs", student, simulated_answers(course["key"][student], "correct"))
    path = str(tmp_path / "subs" / f"{student}.ipynb")
    pool = cli._launch_sandbox((path,), 2, 30.0, 1024)
    try:
        assert (pool.size, pool.prewarm) == (1, False)
        assert cli._launch_sandbox((str(tmp_path / "subs"),), 2, 30.0, 1024) is None
    finally:
        pool.close()
    env = {"CALCGRADE_SECRET": SECRET_HEX}
    args = ["grade", path, "--assignment", str(EXAMPLE_ASSIGNMENT), "--roster",
            str(course["roster"]), "--out", str(tmp_path / "out")]
    old = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        assert cli.main(args) == 0
        grades = read_grades(tmp_path / "out")[student]
        assert grades["status"] == "graded" and grades["total"] == grades["max"] == "15"
        assert _my_workers() == before
        first = (tmp_path / "out" / "grades.csv").read_bytes()
        assert cli.main(args) == 0  # already graded: the launched worker is not used
        assert (tmp_path / "out" / "grades.csv").read_bytes() == first
        assert cli.main(args + ["--student", "nobody"]) == 2
        assert _my_workers() == before
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
