"""The Gradescope bundle end to end: ``calcgrade export gradescope``, then ``setup.sh`` in a
fresh virtual environment and ``run_autograder`` as Gradescope runs them, with the
``/autograder`` root relocated to a temporary folder.

results.json is checked against the fields of Gradescope's autograder specification
(tests/grader/gradescope_format.py).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from calcgrade.grader.generation.generate import generate
from calcgrade.grader.simulate import fill_answers, simulated_answers

from ..grader.classes import EXAMPLE_ASSIGNMENT, SECRET_HEX, example_class, write
from ..grader.gradescope_format import check_results
from .test_grading import wrong_values

pytestmark = pytest.mark.slow

def total_points() -> float:
    """The example assignment's points, read from the file (an oracle apart from calcgrade)."""
    with open(EXAMPLE_ASSIGNMENT, "rb") as handle:
        return float(sum(problem["points"] for problem in tomllib.load(handle)["problems"]))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """The class, its bundle, and an /autograder root where setup.sh has run."""
    root = tmp_path_factory.mktemp("gradescope")
    course = example_class(root, 4)
    secret_file = write(root / "secret", SECRET_HEX + "\n")
    zip_path = root / "autograder.zip"
    env = {k: v for k, v in os.environ.items() if k != "CALCGRADE_SECRET"}
    done = subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "export", "gradescope",
                           str(EXAMPLE_ASSIGNMENT), "--roster", str(course["roster"]),
                           "--out", str(zip_path), "--secret-file", str(secret_file),
                           "--key", str(root / "class" / "key.json")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    autograder = root / "autograder"
    (autograder / "source").mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(autograder / "source")
        for info in archive.infolist():  # zipfile drops the modes: set them as unzip does
            os.chmod(autograder / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    env["CALCGRADE_AUTOGRADER_ROOT"] = str(autograder)
    setup = subprocess.run(["bash", str(autograder / "source" / "setup.sh")], capture_output=True,
                           text=True, env=env, cwd=autograder)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    return {"course": course, "zip": zip_path, "root": autograder, "env": env,
            "setup": setup.stdout + setup.stderr}


def notebook(course, student: str, kind: str = "correct") -> str:
    text = (course["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
    record = course["key"][student]
    values = wrong_values(record) if kind == "wrong" else simulated_answers(record, kind)
    return fill_answers(text, values)


def run_autograder(bundle, files: dict[str, str], email: str = "s0@example.edu",
                   users: list | None = None) -> tuple[dict, str]:
    """Hand in ``files`` as the submitter with ``email``; run_autograder's results and stdout."""
    root = bundle["root"]
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir()
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text, encoding="utf-8")
    metadata = {"id": 123456, "created_at": "2026-03-14T23:00:00.000000-07:00",
                "assignment": {"id": 25828, "title": "HW3", "total_points": "15.0"},
                "submission_method": "upload",
                "users": users if users is not None else
                [{"email": email, "id": 1234, "name": "Student User"}],
                "previous_submissions": []}
    (root / "submission_metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          env=bundle["env"], cwd=root)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    check_results(results)
    assert SECRET_HEX not in json.dumps(results) and SECRET_HEX not in done.stdout
    return results, done.stdout


def test_the_bundle_has_gradescope_layout_and_carries_the_secret(bundle):
    with zipfile.ZipFile(bundle["zip"]) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        assert {"setup.sh", "run_autograder"} <= set(infos)
        for script in ("setup.sh", "run_autograder"):
            assert (infos[script].external_attr >> 16) & stat.S_IXUSR
            assert archive.read(script).startswith(b"#!/usr/bin/env bash\n")
        wheels = [name for name in infos if name.endswith(".whl") and "/" not in name]
        assert len(wheels) == 1 and wheels[0].startswith("calcgrade-")
        assert archive.read("course/secret").decode().strip() == SECRET_HEX
        assert (infos["course/secret"].external_attr >> 16) & 0o077 == 0
        assert archive.read("course/assignment.toml") == EXAMPLE_ASSIGNMENT.read_bytes()
    installed = bundle["root"] / "calcgrade-env" / "bin" / "calcgrade"
    assert installed.exists() and "calcgrade, version" in bundle["setup"]


def test_correct_notebook_gets_every_point(bundle):
    results, stdout = run_autograder(bundle, {"hw3.ipynb": notebook(bundle["course"], "s0000")})
    assert results["score"] == pytest.approx(total_points())
    assert all(test["status"] == "passed" for test in results["tests"])
    assert "graded as s0000" in stdout


def test_wrong_notebook_gets_none_and_says_what_was_found(bundle):
    results, _ = run_autograder(bundle, {"hw3.ipynb": notebook(bundle["course"], "s0001", "wrong")},
                                email="S1@Example.edu")
    assert results["score"] == 0
    assert results["tests"] and all(test["status"] == "failed" for test in results["tests"])
    assert all("Found:" in test["output"] for test in results["tests"])


def test_mistake_is_named_in_the_feedback(bundle):
    results, _ = run_autograder(bundle, {"hw3.ipynb": notebook(bundle["course"], "s0002", "mistake")},
                                email="s2@example.edu")
    assert 0 < results["score"] < total_points()
    failed = [test for test in results["tests"] if test["status"] == "failed"]
    assert failed and all(test["output"] for test in failed)


def test_broken_notebook_scores_zero_with_a_reason(bundle):
    results, _ = run_autograder(bundle, {"hw3.ipynb": '{"cells": [ this is not json'})
    assert results["score"] == 0
    assert "could not be graded" in results["output"]
    assert all(test["score"] == 0 for test in results["tests"])


def test_another_students_notebook_is_graded_as_the_submitters_and_flagged(bundle):
    course = bundle["course"]
    results, _ = run_autograder(bundle, {"hw3.ipynb": notebook(course, "s0003")})  # s0 submits
    assert "generated for 's0003'" in results["output"]
    assert results["score"] < total_points()


def test_another_courses_notebook_is_flagged(bundle, tmp_path):
    other = tmp_path / "other"
    generate(EXAMPLE_ASSIGNMENT, bundle["course"]["roster"], other, bytes(range(1, 33)))
    text = (other / "notebooks" / "s0000.ipynb").read_text(encoding="utf-8")
    results, _ = run_autograder(bundle, {"hw3.ipynb": text})
    assert "does not verify" in results["output"]
    assert results["score"] == 0  # nothing answered


def test_submitter_not_on_the_roster_is_told(bundle):
    results, stdout = run_autograder(bundle, {"hw3.ipynb": notebook(bundle["course"], "s0000")},
                                     email="eve@example.edu")
    assert results["score"] == 0 and results["tests"] == []
    assert "'eve@example.edu' is not on the course's calcgrade roster" in results["output"]


def test_no_notebook_handed_in_is_told_what_was(bundle):
    results, _ = run_autograder(bundle, {"answers.py": "q1_value = 3\n"})
    assert results["score"] == 0
    assert "no Jupyter notebook" in results["output"] and "answers.py" in results["output"]


def test_of_several_notebooks_the_submitters_own_is_graded(bundle):
    course = bundle["course"]
    results, _ = run_autograder(bundle, {"scratch/try.ipynb": notebook(course, "s0001"),
                                         "hw3.ipynb": notebook(course, "s0000")})
    assert results["score"] == pytest.approx(total_points())
    assert "2 notebooks were handed in" in results["output"]


def test_a_group_submission_is_graded_as_its_first_member(bundle):
    results, _ = run_autograder(bundle, {"hw3.ipynb": notebook(bundle["course"], "s0002")},
                                users=[{"email": "s2@example.edu", "id": 1, "name": "A"},
                                       {"email": "s3@example.edu", "id": 2, "name": "B"}])
    assert results["score"] == pytest.approx(total_points())
    assert "group submission" in results["output"]


def test_the_installed_calcgrade_exports_the_same_wheel(bundle, tmp_path):
    """The bundle's calcgrade, installed from its wheel, packs itself into the same files."""
    root = bundle["root"]
    again = tmp_path / "again.zip"
    secret_file = write(tmp_path / "secret", SECRET_HEX)
    done = subprocess.run([str(root / "calcgrade-env" / "bin" / "calcgrade"), "export", "gradescope",
                           str(EXAMPLE_ASSIGNMENT), "--roster", str(bundle["course"]["roster"]),
                           "--out", str(again), "--secret-file", str(secret_file)],
                          capture_output=True, text=True, env=bundle["env"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr

    def members(zip_path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(zip_path) as outer:
            name = next(n for n in outer.namelist() if n.endswith(".whl"))
            with zipfile.ZipFile(outer.open(name)) as wheel:
                return {n: wheel.read(n) for n in wheel.namelist() if not n.endswith("/RECORD")}

    assert members(again) == members(bundle["zip"])
