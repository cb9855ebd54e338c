"""A wheel of the calcgrade that is running, for bundles that install it elsewhere.

An autograder bundle carries calcgrade itself, so that a course's grading machine needs no
package index entry for it. :func:`running_wheel` makes that wheel from what is installed:

- installed from a source tree (``pip install -e .``): ``pip wheel --no-deps`` of the tree;
- installed from a wheel (``pip install calcgrade-….whl`` or ``pip install .``): the
  installed files of ``site-packages/calcgrade`` and the ``.dist-info`` metadata packed
  again as a wheel, with a new ``RECORD`` (no ``__pycache__``).

Packed wheels are byte-for-byte reproducible: sorted members with a fixed date.

>>> record_line("calcgrade/x.py", b"print(1)\\n")
'calcgrade/x.py,sha256=zEIVUIj8pXMHWNtysqW8ozESqUHfqi1DCY7EIs5OohM,9'
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from calcgrade.core.errors import UsageError

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
_NOT_PACKED = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def record_line(name: str, data: bytes) -> str:
    """One line of a wheel's ``RECORD``: path, urlsafe base64 SHA-256 without padding, size."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(path: Path, members: dict[str, bytes], dist_info: str) -> Path:
    """Write ``members`` (archive name -> bytes) and their ``RECORD`` as the wheel ``path``."""
    record_name = f"{dist_info}/RECORD"
    lines = [record_line(name, data) for name, data in sorted(members.items())]
    lines.append(f"{record_name},,")
    everything = dict(members)
    everything[record_name] = ("\n".join(lines) + "\n").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(everything):
            info = zipfile.ZipInfo(name, FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, everything[name])
    return path


def _source_tree() -> Path | None:
    """The project folder when calcgrade runs from a source tree (an editable install)."""
    import calcgrade.grader

    root = Path(calcgrade.grader.__file__).resolve().parent.parent
    project = root / "pyproject.toml"
    if project.is_file() and 'name = "calcgrade"' in project.read_text(encoding="utf-8"):
        return root
    return None


def _installed_members() -> tuple[dict[str, bytes], str]:
    """The installed package's files and metadata as wheel members, and the dist-info name."""
    import calcgrade.grader

    package = Path(calcgrade.grader.__file__).resolve().parent.parent
    site = package.parent
    if package.name != "calcgrade":
        raise UsageError("cannot find the installed calcgrade package to put in the bundle; "
                         "build a wheel with 'pip wheel --no-deps .' and pass it with --wheel")
    infos = sorted(site.glob("calcgrade-*.dist-info"))
    if len(infos) != 1:
        raise UsageError(f"{site} holds {len(infos)} calcgrade .dist-info folders; reinstall "
                         "calcgrade, or pass a wheel with --wheel")
    members = {}
    for file in sorted(package.rglob("*")):
        if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
            members[file.relative_to(site).as_posix()] = file.read_bytes()
    for file in sorted(infos[0].rglob("*")):
        if file.is_file() and file.name not in _NOT_PACKED:
            members[file.relative_to(site).as_posix()] = file.read_bytes()
    return members, infos[0].name


def _built_from_source(root: Path, folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
               str(folder), str(root)]
    done = subprocess.run(command, capture_output=True, text=True)
    wheels = sorted(folder.glob("calcgrade-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UsageError(f"could not build a wheel of calcgrade from {root} ({last}); build one "
                         "with 'pip wheel --no-deps .' and pass it with --wheel")
    return wheels[0]


def running_wheel(folder: str | os.PathLike) -> Path:
    """A wheel of the running calcgrade, written into ``folder``; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    root = _source_tree()
    if root is not None:
        with tempfile.TemporaryDirectory(prefix="calcgrade-wheel-") as scratch:
            built = _built_from_source(root, Path(scratch))
            target = folder / built.name
            target.write_bytes(built.read_bytes())
            return target
    members, dist_info = _installed_members()
    version = dist_info[len("calcgrade-"):-len(".dist-info")]
    return write_wheel(folder / f"calcgrade-{version}-py3-none-any.whl", members, dist_info)


def check_wheel(path: str | os.PathLike) -> Path:
    """``path`` if it is a readable calcgrade wheel, else a :class:`UsageError` that says why."""
    path = Path(path)
    if not path.name.startswith("calcgrade-") or path.suffix != ".whl":
        raise UsageError(f"--wheel {path}: expected a file named calcgrade-<version>-….whl")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except FileNotFoundError:
        raise UsageError(f"--wheel {path}: no such file") from None
    except (OSError, zipfile.BadZipFile):
        raise UsageError(f"--wheel {path}: not a wheel (zip) file") from None
    if not any(name.startswith("calcgrade/grader/") for name in names):
        raise UsageError(f"--wheel {path}: this wheel does not contain calcgrade.grader")
    return path
