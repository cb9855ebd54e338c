"""``calcgrade export gradescope``: an autograder bundle in Gradescope's documented layout.

Gradescope's autograder specification (gradescope-autograders.readthedocs.io, "Autograder
Specifications"): a zip with ``setup.sh`` and ``run_autograder`` at its root; Gradescope
unpacks it into ``/autograder/source``, runs ``setup.sh`` once when it builds the image,
then, for each submission, runs ``run_autograder`` with the student's files in
``/autograder/submission`` and ``/autograder/submission_metadata.json``, and reads
``/autograder/results/results.json``.

The bundle holds::

    setup.sh                      installs calcgrade from the wheel below into a virtual
                                  environment of its own (dependencies from PyPI)
    run_autograder                python -m calcgrade.grader.integrations.gradescope_run
    calcgrade-<version>-….whl     calcgrade itself (see calcgrade.grader.integrations.wheel)
    course/config.json            what run_autograder reads (below)
    course/assignment.toml        the assignment file, byte for byte
    course/roster.csv             the roster, byte for byte
    course/secret                 the course secret (the only copy outside the instructor's)
    course/key.json               the class's key, when given (each student's draw numbers)

``config.json``: ``assignment``, ``roster``, ``key`` (file names in ``course/``, ``key``
may be null), ``identify_by`` (which field of the submitter in Gradescope's
``submission_metadata.json`` names the roster student: ``email`` matches the roster's
``email`` column, ``id`` and ``sid`` the roster's ``id``), ``timeout``, ``memory_mib``,
``reveal`` and ``calcgrade`` (the version).

Every path of the scripts is under ``$CALCGRADE_AUTOGRADER_ROOT`` (``/autograder`` when
unset), so the bundle can be tried in any folder.

>>> sorted(IDENTIFY_FIELDS)
['email', 'id', 'sid']
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from calcgrade.core.errors import UsageError

ROOT_VARIABLE = "CALCGRADE_AUTOGRADER_ROOT"
IDENTIFY_FIELDS = ("email", "id", "sid")
COURSE = "course"
CONFIG = "config.json"
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Bundle:
    """What :func:`export_gradescope` wrote."""

    path: Path
    wheel: str
    students: int
    identify_by: str
    members: tuple[str, ...]


def _read_bytes(path: str | os.PathLike, flag: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{flag} {path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{flag} {path}: is a folder, not a file") from None
    except OSError as error:
        raise UsageError(f"{flag} {path}: cannot read it: {error.strerror}") from None


def _check_identities(roster, roster_path, identify_by: str) -> None:
    if identify_by not in IDENTIFY_FIELDS:
        raise UsageError(f"--identify-by takes one of {', '.join(IDENTIFY_FIELDS)}, "
                         f"not {identify_by!r}")
    if identify_by != "email":
        return
    missing = [student.id for student in roster if not student.email]
    if missing:
        raise UsageError(f"{roster_path}: {len(missing)} student(s) have no email (first: "
                         f"{missing[0]!r}), but --identify-by email matches Gradescope's "
                         "email with the roster's email column; fill it in, or use "
                         "--identify-by sid with the roster's id as the student ID")
    seen: dict[str, str] = {}
    for student in roster:
        email = student.email.strip().lower()
        if email in seen:
            raise UsageError(f"{roster_path}: {student.id!r} and {seen[email]!r} share the email "
                             f"{student.email!r}; every student needs their own")
        seen[email] = student.id


def _member(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, FIXED_DATE)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def export_gradescope(assignment_path: str | os.PathLike, roster_path: str | os.PathLike,
                      out: str | os.PathLike, secret: bytes, *, identify_by: str = "email",
                      key: str | os.PathLike | None = None, wheel: str | os.PathLike | None = None,
                      timeout: float = 60.0, memory_mib: int = 2048,
                      reveal: bool = False) -> Bundle:
    """Write the autograder bundle ``out`` (a zip); see the module docstring.

    ``wheel``: a calcgrade wheel to put in it; by default one of the running calcgrade
    (:func:`calcgrade.grader.integrations.wheel.running_wheel`)."""
    from calcgrade.grader.course.assignment import load_assignment
    from calcgrade.grader.course.roster import load_roster
    from calcgrade.grader.course.variants import key_draws
    from calcgrade.grader.integrations.wheel import check_wheel, running_wheel
    from calcgrade.templates import environment

    assignment = load_assignment(assignment_path)
    roster = load_roster(roster_path)
    _check_identities(roster, roster_path, identify_by)
    if key is not None:
        draws = key_draws(key, assignment)
        absent = [student.id for student in roster if student.id not in draws]
        if absent:
            raise UsageError(f"--key {key} has no variants for {absent[0]!r}"
                             + (f" and {len(absent) - 1} more" if len(absent) > 1 else "")
                             + ": give the key that 'calcgrade generate' wrote for this roster")
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder; name the zip file to write, e.g. "
                         f"{out / 'autograder.zip'}")
    version = _version()
    course = {
        "assignment": "assignment.toml",
        "roster": "roster.csv",
        "key": "key.json" if key is not None else None,
        "identify_by": identify_by,
        "timeout": timeout,
        "memory_mib": memory_mib,
        "reveal": reveal,
        "calcgrade": version,
    }
    files = {
        "assignment.toml": _read_bytes(assignment_path, "ASSIGNMENT"),
        "roster.csv": _read_bytes(roster_path, "--roster"),
        "secret": (secret.hex() + "\n").encode("ascii"),
    }
    if key is not None:
        files["key.json"] = _read_bytes(key, "--key")
    with tempfile.TemporaryDirectory(prefix="calcgrade-bundle-") as scratch:
        wheel_path = check_wheel(wheel) if wheel is not None else running_wheel(scratch)
        wheel_bytes = wheel_path.read_bytes()
        course["wheel"] = wheel_path.name
        scripts = {
            "setup.sh": environment().get_template("gradescope/setup.sh.j2").render(
                version=version, wheel=wheel_path.name),
            "run_autograder": environment().get_template("gradescope/run_autograder.j2").render(
                version=version),
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
        os.close(handle)
        try:
            with zipfile.ZipFile(temporary, "w") as archive:
                for name, text in scripts.items():
                    _member(archive, name, text.encode("utf-8"), 0o755)
                _member(archive, wheel_path.name, wheel_bytes, 0o644)
                _member(archive, f"{COURSE}/{CONFIG}",
                        (json.dumps(course, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o600)
                for name, data in files.items():
                    _member(archive, f"{COURSE}/{name}", data, 0o600)
                members = tuple(archive.namelist())
            os.chmod(temporary, 0o600)
            os.replace(temporary, out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return Bundle(out, wheel_path.name, len(roster), identify_by, members)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("calcgrade")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "source"
