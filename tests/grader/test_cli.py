"""The command line as a user runs it: exit codes, output and one-line errors.

Most tests call the console entry point :func:`calcgrade.grader.cli.main` in this process
(the same function the ``calcgrade`` script calls, error handler included); the few marked
slow start real processes: the installed console script, and sampling under different hash
seeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from calcgrade.problems import family_names

from .cli_runs import one_error_line, run


def test_families_json_lists_every_family_with_params_and_answers(capsys):
    code, out, err = run(capsys, "families", "--json")
    assert code == 0, err
    described = {f["name"]: f for f in json.loads(out)["families"]}
    assert list(described) == family_names()
    assert {"derivative", "gradient_descent", "sigmoid_gradient", "newton", "hessian"} <= set(described)
    assert {p["name"] for p in described["newton"]["params"]} == {"f", "vars", "x0", "steps", "goal"}
    assert set(described["hessian"]["answers"]) == {"gradient", "hessian", "eigenvalues", "classification"}


def test_families_is_a_narrow_list_of_names_and_one_line_each(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "families")
    assert code == 0
    lines = out.splitlines()
    listed = lines[:len(family_names())]
    assert [line.split()[0] for line in listed] == family_names()
    assert all(len(line) <= 80 for line in listed)
    assert all(len(line.split()) > 2 for line in listed), "each name has its one-line summary"
    assert "calcgrade families NAME" in out


@pytest.mark.parametrize("name", ["newton", "hessian", "sigmoid_gradient"])
def test_families_name_shows_params_options_answers_and_mistakes(capsys, monkeypatch, name):
    from calcgrade.problems import get_family

    monkeypatch.setenv("COLUMNS", "72")
    code, out, err = run(capsys, "families", name)
    assert (code, err) == (0, "")
    family = get_family(name)
    lines = out.splitlines()
    assert lines[0].startswith(f"{name} (version {family.version})")
    sections = [lines.index(next(l for l in lines if l.startswith(title)))
                for title in ("Params", "Options", "Answers", "Mistakes")]
    assert sections == sorted(sections)

    def names_in(start: int, stop: int) -> set[str]:
        return {line.split()[0] for line in lines[start + 1:stop] if line.startswith("  ") and
                not line.startswith("   ")}
    ends = sections[1:] + [len(lines)]
    assert names_in(sections[0], ends[0]) == {p.name for p in family.params}
    assert names_in(sections[1], ends[1]) == {o.name for o in family.options}
    assert names_in(sections[2], ends[2]) == set(family.answers)
    assert names_in(sections[3], ends[3]) == {m.id for m in family.mistakes()}
    assert all(len(line) <= 72 for line in lines)
    code, out, _ = run(capsys, "families", name, "--json")
    assert code == 0 and json.loads(out)["name"] == name


def test_families_of_an_unknown_name_exits_2(capsys):
    code, _, err = run(capsys, "families", "newtn")
    assert code == 2 and "unknown family 'newtn'" in one_error_line(err)


@pytest.mark.parametrize("name", family_names())
def test_sample_is_byte_identical_for_the_same_seed(capsys, name):
    first, second = run(capsys, "sample", name, "--seed", "17"), run(capsys, "sample", name, "--seed", "17")
    assert first[0] == 0, first[2]
    assert first[1] == second[1]
    data = json.loads(first[1])
    assert set(data) == {"family", "seed", "params", "statement", "answers"}
    assert data["family"] == name and data["seed"] == 17


def test_seed_range_prints_one_compact_object_per_line(capsys):
    code, out, _ = run(capsys, "sample", "sigmoid_gradient", "--seeds", "3:7", "--option", "mode=z")
    assert code == 0
    lines = out.splitlines()
    assert [json.loads(line)["seed"] for line in lines] == [3, 4, 5, 6]
    for line in lines:
        assert line == json.dumps(json.loads(line), separators=(",", ":"), sort_keys=True,
                                  ensure_ascii=False)


def test_solve_prints_family_params_and_answers(capsys):
    code, out, _ = run(capsys, "solve", "sigmoid_gradient", "--params", '{"z": 0}')
    assert code == 0
    assert json.loads(out) == {"family": "sigmoid_gradient", "params": {"z": 0},
                               "answers": {"sigmoid": 0.5, "sigmoid_prime": 0.25}}


BAD_INPUTS = [
    (("sample", "nosuch", "--seed", "1"), "unknown family 'nosuch'"),
    (("sample", "sigmoid_gradient", "--seed", "1.5"), "'1.5' is not a valid integer"),
    (("sample", "sigmoid_gradient", "--seed", "-3"), "--seed"),
    (("sample", "sigmoid_gradient"), "exactly one of --seed N or --seeds A:B"),
    (("sample", "sigmoid_gradient", "--seeds", "5:2"), "--seeds takes A:B"),
    (("sample", "sigmoid_gradient", "--seed", "1", "--option", "mode=w"), "mode='w' is not one of"),
    (("sample", "sigmoid_gradient", "--seed", "1", "--option", "colour=1"), "unknown option 'colour'"),
    (("sample", "sigmoid_gradient", "--seed", "1", "--option", "features"), "key=value"),
    (("solve", "sigmoid_gradient", "--params", "{bad json"), "not valid JSON"),
    (("solve", "sigmoid_gradient", "--params", "[1, 2]"), "params must be a JSON object"),
    (("solve", "sigmoid_gradient", "--params", '{"x": [1], "w": [1], "b": 0}'), "'y' is missing"),
    (("solve", "sigmoid_gradient", "--params", '{"z": 1, "q": 2}'), "unknown param 'q'"),
    (("solve", "newton", "--params", '{"f": "x^2"}'),
     "newton: params 'vars', 'x0', 'steps' and 'goal' are missing"),
    (("solve", "newton", "--params", '{"f": "x^2", "x_0": [1], "vars": ["x"], "steps": 2}'),
     "newton: unknown param 'x_0' (params: f, vars, x0, steps, goal); params 'x0' and 'goal' are missing"),
    (("solve", "sigmoid_gradient", "--params", "@/nonexistent/params.json"), "cannot read"),
    (("solve", "derivative", "--params", '{"f": "__import__(\'os\').system(\'x\')", "var": "x"}'),
     "unexpected character '_'"),
    (("solve", "derivative", "--params", '{"f": "x.real", "var": "x"}'), "unexpected character '.'"),
    (("solve", "derivative", "--params", '{"f": "sin(y)", "var": "x"}'), "unknown name 'y'"),
    (("solve", "derivative", "--params", json.dumps({"f": "(" * 900 + "x" + ")" * 900, "var": "x"})),
     "nested more than"),
    (("solve", "derivative", "--params", '{"f": "ln(x)", "var": "x", "at": -1}'), "at"),
    (("solve", "newton", "--params", json.dumps({"f": "x^2*y^2", "vars": ["x", "y"], "x0": [0, 0],
                                                 "steps": 2, "goal": "minimize"})), "singular"),
    (("solve",), "Missing argument"),
    (("nonsense",), "No such command"),
]


@pytest.mark.parametrize("args, fragment", BAD_INPUTS)
def test_bad_input_gets_exit_2_and_one_line(capsys, args, fragment):
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    assert fragment in one_error_line(err)


def test_version_and_help_exit_0(capsys):
    assert run(capsys, "--version")[0] == 0
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "sample" in out


@pytest.mark.parametrize("name", family_names())
def test_solve_reproduces_the_answers_of_a_sampled_variant(capsys, name):
    sampled = json.loads(run(capsys, "sample", name, "--seed", "3")[1])
    code, out, err = run(capsys, "solve", name, "--params", json.dumps(sampled["params"]))
    assert code == 0, err
    assert json.loads(out) == {"family": name, "params": sampled["params"],
                               "answers": sampled["answers"]}


# --- real processes ---------------------------------------------------------------------------


def console_script() -> str:
    """The installed ``calcgrade`` script of this environment."""
    found = shutil.which("calcgrade", path=os.path.dirname(sys.executable))
    assert found, "the console script 'calcgrade' is not installed next to this Python"
    return found


def run_script(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([console_script(), *args], capture_output=True, text=True, timeout=120,
                          env=env)


@pytest.mark.slow
def test_the_console_script_is_installed_and_prints_what_main_prints(capsys):
    version = run_script("--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.split() == ["calcgrade,", "version", metadata.version("calcgrade")]
    real = run_script("sample", "sigmoid_gradient", "--seed", "5")
    assert (real.returncode, real.stderr) == (0, "")
    assert real.stdout == run(capsys, "sample", "sigmoid_gradient", "--seed", "5")[1]


@pytest.mark.slow
@pytest.mark.parametrize("args, fragment", [
    (("sample", "nosuch", "--seed", "1"), "unknown family 'nosuch'"),
    (("solve", "derivative", "--params", '{"f": "sin(y)", "var": "x"}'), "unknown name 'y'"),
    (("nonsense",), "No such command"),
])
def test_bad_input_to_the_console_script_exits_2_with_one_line(args, fragment):
    result = run_script(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert fragment in one_error_line(result.stderr)
    assert result.stdout == ""


SAMPLE_EVERY_FAMILY = """\
from calcgrade.grader.cli import main
from calcgrade.problems import family_names
for name in family_names():
    assert main(["sample", name, "--seed", "17"]) == 0
"""


@pytest.mark.slow
def test_samples_are_byte_identical_across_processes_and_hash_seeds(capsys):
    """Each process hashes strings differently: no output may depend on set or dict order."""
    expected = "".join(run(capsys, "sample", name, "--seed", "17")[1] for name in family_names())
    for hash_seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-c", SAMPLE_EVERY_FAMILY], capture_output=True,
                                text=True, timeout=300, env=env)
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        assert result.stdout == expected, f"PYTHONHASHSEED={hash_seed}"


# --- the demo's hint to open a notebook -----------------------------------------------------------


def test_the_demo_suggests_jupyter_only_where_it_is_installed(tmp_path, monkeypatch):
    from calcgrade.grader.cli import open_notebook_hint

    monkeypatch.setenv("PATH", str(tmp_path))
    (hint,) = open_notebook_hint("ada01.ipynb")
    assert hint.startswith("pip install jupyterlab && jupyter lab ada01.ipynb")
    fake = tmp_path / "jupyter-lab"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert open_notebook_hint("ada01.ipynb") == ["jupyter lab ada01.ipynb"]
