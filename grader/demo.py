"""``calcgrade demo``: the example assignment and roster, a throw-away secret, a class.

Everything goes into one new folder (a fresh temporary one unless given)::

    course-secret      the throw-away secret (mode 0600), for re-running commands by hand
    assignment.toml    roster.csv      copies of the examples
    class/             what ``calcgrade generate`` writes

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as tmp:
...     result = run_demo(pathlib.Path(tmp) / "demo")
...     names = sorted(p.name for p in (result.generated.out / "notebooks").iterdir())
>>> names[:2]
['ada01.ipynb', 'carl02.ipynb']
"""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from calcgrade.core.errors import UsageError
from calcgrade.grader.generation.generate import GenerateResult, Progress, generate


@dataclass
class DemoResult:
    folder: Path
    secret_file: Path
    assignment: Path
    roster: Path
    generated: GenerateResult
    submissions: Path | None = None
    graded: object = None  # GradeSummary when the demo graded the simulated class


def example_text(name: str) -> bytes:
    """The bytes of a file of ``calcgrade.examples`` (works from a wheel too)."""
    return (files("calcgrade.examples") / name).read_bytes()


def run_demo(folder: str | os.PathLike | None = None, progress: Progress | None = None) -> DemoResult:
    """Generate the example class into ``folder`` (new temporary folder when None)."""
    if folder is None:
        root = Path(tempfile.mkdtemp(prefix="calcgrade-demo-"))
    else:
        root = Path(folder)
        if root.exists() and any(root.iterdir()):
            raise UsageError(f"{root} is not empty; the demo needs a new or empty folder")
        root.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    secret_file = root / "course-secret"
    descriptor = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret.hex() + "\n")
    assignment, roster = root / "assignment.toml", root / "roster.csv"
    assignment.write_bytes(example_text("assignment.toml"))
    roster.write_bytes(example_text("roster.csv"))
    generated = generate(assignment, roster, root / "class", secret, progress)
    return DemoResult(root, secret_file, assignment, roster, generated)


# What each simulated student of the example roster hands in, in roster order.
SIMULATED = ("correct", "mistake", "slip", "malformed", "missing")


def write_submissions(result: DemoResult) -> Path:
    """Simulated submissions of the demo class: see :data:`SIMULATED`."""
    import json

    from calcgrade.grader.simulate import fill_answers, simulated_answers

    folder = result.folder / "submissions"
    folder.mkdir()
    key = json.loads((result.generated.out / "key.json").read_text(encoding="utf-8"))
    for record, kind in zip(key["students"], SIMULATED * len(key["students"])):
        target = folder / f"{record['id']}.ipynb"
        if kind == "missing":
            continue
        if kind == "malformed":
            target.write_text('{"cells": [ this is not JSON', encoding="utf-8")
            continue
        notebook = (result.generated.out / "notebooks" / f"{record['id']}.ipynb").read_text(encoding="utf-8")
        target.write_text(fill_answers(notebook, simulated_answers(record, kind)), encoding="utf-8")
    return folder


def grade_demo(result: DemoResult, progress: Progress | None = None) -> DemoResult:
    """Write the simulated submissions and grade them into ``grades/``."""
    from calcgrade.grader.grading.grade import grade

    result.submissions = write_submissions(result)
    secret = bytes.fromhex(result.secret_file.read_text(encoding="ascii").strip())
    result.graded = grade([str(result.submissions)], str(result.assignment), str(result.roster),
                          str(result.folder / "grades"), secret, timeout=60, progress=progress)
    return result
