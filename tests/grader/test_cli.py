"""The command line as a user runs it: real processes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from calcgrade.problems import family_names


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_families_json_lists_every_family_with_params_and_answers():
    result = run("families", "--json")
    assert result.returncode == 0, result.stderr
    described = {f["name"]: f for f in json.loads(result.stdout)["families"]}
    assert list(described) == family_names()
    assert {"derivative", "gradient_descent", "sigmoid_gradient", "newton", "hessian"} <= set(described)
    assert {p["name"] for p in described["newton"]["params"]} == {"f", "vars", "x0", "steps", "goal"}
    assert set(described["hessian"]["answers"]) == {"gradient", "hessian", "eigenvalues", "classification"}


def test_families_table_names_every_family():
    result = run("families")
    assert result.returncode == 0
    for name in family_names():
        assert name in result.stdout


@pytest.mark.parametrize("name", family_names())
def test_sample_is_byte_identical_for_the_same_seed(name):
    first, second = run("sample", name, "--seed", "17"), run("sample", name, "--seed", "17")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert set(data) == {"family", "seed", "params", "statement", "answers"}
    assert data["family"] == name and data["seed"] == 17


def test_seed_range_prints_one_compact_object_per_line():
    result = run("sample", "sigmoid_gradient", "--seeds", "3:7", "--option", "mode=z")
    lines = result.stdout.splitlines()
    assert [json.loads(line)["seed"] for line in lines] == [3, 4, 5, 6]
    for line in lines:
        assert line == json.dumps(json.loads(line), separators=(",", ":"), sort_keys=True,
                                  ensure_ascii=False)


def test_solve_prints_family_params_and_answers():
    result = run("solve", "sigmoid_gradient", "--params", '{"z": 0}')
    assert json.loads(result.stdout) == {"family": "sigmoid_gradient", "params": {"z": 0},
                                         "answers": {"sigmoid": 0.5, "sigmoid_prime": 0.25}}


@pytest.mark.parametrize("args, fragment", [
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
])
def test_bad_input_gets_exit_2_and_one_line(args, fragment):
    result = run(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("calcgrade: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_version_and_help_exit_0():
    assert run("--version").returncode == 0
    assert "sample" in run("--help").stdout


@pytest.mark.parametrize("name", family_names())
def test_solve_reproduces_the_answers_of_a_sampled_variant(name):
    sampled = json.loads(run("sample", name, "--seed", "3").stdout)
    solved = run("solve", name, "--params", json.dumps(sampled["params"]))
    assert solved.returncode == 0, solved.stderr
    assert json.loads(solved.stdout) == {"family": name, "params": sampled["params"],
                                         "answers": sampled["answers"]}
