"""GitHub Actions and Classroom: the step summary, the points line and outputs, the exit
codes of --fail-under, and the workflow template (linted with check-jsonschema's GitHub
workflow schema and zizmor, and its steps run here as a runner would run them)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from calcgrade.core.errors import UsageError
from calcgrade.grader.cli import main
from calcgrade.grader.integrations.github import report_run, workflow_yaml

from .gradedfolders import ANN, BOB, CAT, graded_folder

BIN = Path(sys.executable).parent


def github_env(tmp_path: Path) -> dict[str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.write_text("earlier step\n", encoding="utf-8")
    output.write_text("", encoding="utf-8")
    return {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}


def outputs(env: dict[str, str]) -> dict[str, str]:
    lines = Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_one_student_gets_points_summary_and_classroom_result(tmp_path):
    folder = graded_folder(tmp_path / "out", students=(ANN,),
                           parts_feedback="Right | but <b>x</b> [link](http://e.vil)")
    env, printed = github_env(tmp_path), []
    assert report_run(folder, environ=env, echo=printed.append) == 0
    assert printed == ["Points 7.5/10"]
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n")  # appended, as GitHub documents
    assert "### calcgrade: HW 1: Newton" in summary
    assert "**Ann Lee \\(ann01\\): Points 7.5/10**" in summary
    assert "| 2 | q2\\_iterates | 3.5 / 6 | Step 2 is the first wrong step. |" in summary
    assert "Right \\| but \\<b\\>x\\</b\\> \\[link\\]\\(http\\://e.vil\\)" in summary
    assert "newton.gradient_step" not in summary and "[[1], [2]]" not in summary
    out = outputs(env)
    assert out["points"] == "7.5/10"
    result = json.loads(base64.b64decode(out["result"]))
    # what the Classroom reporter does with it: sum the tests' scores, add up max_score
    assert sum(test["score"] for test in result["tests"]) == pytest.approx(7.5)
    assert (result["version"], result["max_score"], result["status"]) == (1, 10.0, "fail")
    assert [t["status"] for t in result["tests"]] == ["pass", "fail"]
    assert all(set(t) >= {"name", "status", "score", "message"} for t in result["tests"])


def test_a_submission_that_did_not_run_is_an_error_result(tmp_path):
    folder = graded_folder(tmp_path / "out", students=(BOB,))
    env, printed = github_env(tmp_path), []
    assert report_run(folder, environ=env, echo=printed.append) == 0
    assert printed == ["Points 0/10"]
    result = json.loads(base64.b64decode(outputs(env)["result"]))
    assert result["status"] == "error"
    assert result["tests"][0]["message"] == "ran longer than 60 s"
    assert "could not be graded: ran longer than 60 s" in \
        Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")


def test_a_class_gets_a_table_and_no_points_line(tmp_path):
    folder = graded_folder(tmp_path / "out")
    env, printed = github_env(tmp_path), []
    assert report_run(folder, environ=env, echo=printed.append) == 0
    assert printed == []
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "3 students: 1 graded, 1 with a submission that could not be graded, 1 without" in summary
    assert "| ann01 | graded | 7.5 / 10 |" in summary
    assert "| cat03 | missing | 0 / 10 |" in summary
    assert outputs(env) == {}


def test_nothing_is_written_outside_github(tmp_path):
    folder = graded_folder(tmp_path / "out", students=(ANN,))
    printed = []
    assert report_run(folder, environ={}, echo=printed.append) == 0
    assert printed == ["Points 7.5/10"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("fail_under, code", [(7.4, 0), (7.5, 0), (7.6, 1), (100, 1), (0, 0)])
def test_fail_under_sets_the_exit_code_from_the_single_score(tmp_path, fail_under, code):
    folder = graded_folder(tmp_path / "out", students=(ANN,))
    printed = []
    assert report_run(folder, fail_under, environ={}, echo=printed.append) == code
    assert printed[0] == "Points 7.5/10"
    assert (len(printed) == 2) == bool(code)


def test_fail_under_without_a_counted_submission_fails_with_zero(tmp_path):
    folder = graded_folder(tmp_path / "out", students=(CAT,))
    printed = []
    assert report_run(folder, 1, environ={}, echo=printed.append) == 1
    assert printed == ["Points 0/10", "The score 0 is below --fail-under 1 (no submission was counted)."]


def test_fail_under_with_several_students_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="one student's submission, but this run counted 2"):
        report_run(graded_folder(tmp_path / "out"), 5, environ={}, echo=print)


# --- the workflow -------------------------------------------------------------------------------

VARIANTS = [
    {},
    {"fail_under": 12.5, "notebooks": "hw3/*.ipynb", "assignment": "hw3/assignment.toml"},
    {"install": "./wheels/calcgrade-0.1.0-py3-none-any.whl", "python": "3.11"},
    {"install": "calcgrade[otter]>=0.1", "roster": "ids.csv"},
]


def lint(path: Path) -> None:
    """check-jsonschema (SchemaStore's github-workflow schema) and zizmor (offline, the
    pedantic persona; action tags allowed, as GitHub Classroom's own workflows use)."""
    schema = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema",
                             "vendor.github-workflows", str(path)], capture_output=True, text=True)
    assert schema.returncode == 0, schema.stdout + schema.stderr
    config = path.parent / "zizmor.yml"
    config.write_text('rules:\n  unpinned-uses:\n    config:\n      policies:\n        "*": ref-pin\n',
                      encoding="utf-8")
    audit = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona", "pedantic",
                            "--config", str(config), "--no-progress", str(path)],
                           capture_output=True, text=True)
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.parametrize("options", VARIANTS)
def test_the_workflow_passes_the_linters(tmp_path, options):
    path = tmp_path / "classroom.yml"
    path.write_text(workflow_yaml(**options), encoding="utf-8")
    lint(path)


@pytest.mark.slow  # starts the sandbox or other processes
def test_the_linters_catch_a_broken_workflow(tmp_path):
    """The lint is real: a misspelt key and an injected expression are found."""
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow_yaml().replace("runs-on:", "run-on:"), encoding="utf-8")
    with pytest.raises(AssertionError):
        lint(broken)
    injected = tmp_path / "injected.yml"
    injected.write_text(workflow_yaml().replace(
        "python -m pip install calcgrade",
        "python -m pip install calcgrade ${{ github.event.head_commit.message }}"), encoding="utf-8")
    with pytest.raises(AssertionError):
        lint(injected)


def parsed(text: str) -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


def test_the_secret_reaches_only_the_step_that_writes_it_to_a_file():
    text = workflow_yaml()
    assert text.count("secrets.") == 1
    workflow = parsed(text)
    assert "env" not in workflow
    (job,) = workflow["jobs"].values()
    assert "env" not in job
    holders = [step for step in job["steps"] if "CALCGRADE_SECRET" in step.get("env", {})]
    assert len(holders) == 1
    assert holders[0]["env"]["CALCGRADE_SECRET"] == "${{ secrets.CALCGRADE_SECRET }}"
    for step in job["steps"]:
        assert "echo $CALCGRADE_SECRET" not in step.get("run", "")
        assert "set -x" not in step.get("run", "")


@pytest.mark.parametrize("options, message", [
    ({"assignment": "../other/assignment.toml"}, "--assignment"),
    ({"roster": "roster.csv; curl x"}, "--roster"),
    ({"notebooks": "$(id).ipynb"}, "--notebooks"),
    ({"install": "calcgrade'; rm -rf /"}, "--install"),
    ({"install": "-e ."}, "--install"),
    ({"python": "3.12; x"}, "--python"),
])
def test_workflow_options_that_could_break_out_are_refused(options, message):
    with pytest.raises(UsageError, match=message):
        workflow_yaml(**options)


def test_export_github_actions_command(tmp_path, capsys):
    assert main(["export", "github-actions"]) == 0
    out, _ = capsys.readouterr()
    assert out == workflow_yaml()
    target = tmp_path / ".github" / "workflows" / "classroom.yml"
    assert main(["export", "github-actions", "--out", str(target), "--fail-under", "10"]) == 0
    assert "--fail-under 10" in target.read_text(encoding="utf-8")
    assert str(target) in capsys.readouterr()[1]
    assert main(["export", "github-actions", "--python", "python3"]) == 2
    assert capsys.readouterr()[1].startswith("calcgrade: error: --python")


def run_step(step: dict, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """A ``run:`` step as the runner runs it (bash -e), the step's env expressions given."""
    step_env = {name: env.get(value.removeprefix("${{ ").removesuffix(" }}"), value)
                for name, value in step.get("env", {}).items()}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=cwd, env={**env, **step_env}, capture_output=True, text=True)


@pytest.mark.slow
def test_the_workflow_grades_a_pushed_notebook(tmp_path):
    """The secret and grading steps, run here in a checkout of a student's repository."""
    from calcgrade.grader.generation.generate import generate
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    from .classes import EXAMPLE_ASSIGNMENT, SECRET_HEX

    repo, runner_temp = tmp_path / "repo", tmp_path / "runner-temp"
    repo.mkdir()
    runner_temp.mkdir()
    shutil.copy(EXAMPLE_ASSIGNMENT, repo / "assignment.toml")
    (repo / "roster.csv").write_text("id\nada01\nbob02\n", encoding="utf-8")
    generate(repo / "assignment.toml", repo / "roster.csv", tmp_path / "class",
             bytes.fromhex(SECRET_HEX))
    key = json.loads((tmp_path / "class" / "key.json").read_text(encoding="utf-8"))
    answers = simulated_answers(key["students"][1], "correct")
    text = (tmp_path / "class" / "notebooks" / "bob02.ipynb").read_text(encoding="utf-8")
    (repo / "bob02.ipynb").write_text(fill_answers(text, answers), encoding="utf-8")
    total = key["assignment"]["total_points"]
    env = {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "RUNNER_TEMP": str(runner_temp), "secrets.CALCGRADE_SECRET": SECRET_HEX,
           **github_env(tmp_path)}
    steps = {step["name"]: step for step in
             next(iter(parsed(workflow_yaml(fail_under=total))["jobs"].values()))["steps"]}

    written = run_step(steps["Write the course secret to a file"], repo, env)
    assert written.returncode == 0, written.stderr
    secret_file = runner_temp / "calcgrade-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret_file.read_text(encoding="ascii").strip() == SECRET_HEX
    assert SECRET_HEX not in written.stdout + written.stderr

    graded = run_step(steps["Grade the notebook"], repo, env)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"Points {total:g}/{total:g}" in graded.stdout.splitlines()
    assert SECRET_HEX not in graded.stdout + graded.stderr
    result = json.loads(base64.b64decode(outputs(env)["result"]))
    assert sum(t["score"] for t in result["tests"]) == pytest.approx(total)
    assert result["status"] == "pass"

    # a wrong answer: below --fail-under, the step fails
    wrong = dict(answers, q1_value=12345.0)
    (repo / "bob02.ipynb").write_text(fill_answers(text, wrong), encoding="utf-8")
    failed = run_step(steps["Grade the notebook"], repo, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "is below --fail-under" in failed.stdout

    # no secret configured: a clear error, no file
    secret_file.unlink()
    missing = run_step(steps["Write the course secret to a file"], repo,
                       {**env, "secrets.CALCGRADE_SECRET": ""})
    assert missing.returncode == 1 and "CALCGRADE_SECRET" in missing.stdout
    assert not secret_file.exists()
