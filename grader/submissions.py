"""Find the submissions to grade and whose they are.

``calcgrade grade`` takes notebooks, folders of them and zip archives as an LMS exports
them. Every input file becomes one :class:`Input`; nothing is dropped silently. The
student is found, in this order:

1. ``--student ID`` (a single submission only);
2. the file name: ``<id>.ipynb``, or ``<id>`` followed by ``_``, ``-``, ``.`` or a space
   and anything (``ada01_hw3.ipynb``, ``ada01-final.ipynb``); the longest roster id wins;
3. the folder: a notebook inside a folder named ``<id>`` (Gradescope, Moodle);
4. the notebook's own signed metadata, when its token verifies under the course secret.

Inside folders and archives only ``*.ipynb`` files count (checkpoints and ``__MACOSX``
are skipped); a file named on the command line is always an input.

>>> identify_from_path("exports/ada01_hw3.ipynb", {"ada01", "ada"})
('ada01', 'file name')
>>> identify_from_path("gradescope/bob/answers.ipynb", {"bob"})
('bob', 'folder name')
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from calcgrade.core.errors import UsageError

MAX_ARCHIVE_BYTES = 2 * 1024**3
MAX_NOTEBOOK_BYTES = 64 * 1024**2
_SEPARATORS = re.compile(r"[_\-. ]")


@dataclass(frozen=True)
class Input:
    """One submitted file: where it came from and its hash; the bytes are read on demand,
    so a large batch never holds every notebook in memory."""

    label: str              # path as given, or "archive.zip!member/path"
    source: Path | None     # the file (or the archive) it is read from
    member: str | None = None
    sha256: str = ""
    error: str = ""         # why it cannot be read ("" when it can)

    def read(self) -> bytes | None:
        """The file's bytes, or None when it cannot be read."""
        if self.error or self.source is None:
            return None
        try:
            if self.member is None:
                return self.source.read_bytes()
            with zipfile.ZipFile(self.source) as archive:
                return archive.read(self.member)
        except (OSError, zipfile.BadZipFile, KeyError, RuntimeError, EOFError):
            return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def identify_from_path(label: str, roster_ids: set[str]) -> tuple[str | None, str]:
    """The roster id named by a submission's file or folder name, and how it was found."""
    inner = label.split("!", 1)[-1]
    path = PurePosixPath(inner.replace(os.sep, "/"))
    stem = path.name[:-len(".ipynb")] if path.name.endswith(".ipynb") else path.stem
    if stem in roster_ids:
        return stem, "file name"
    prefixes = [i for i in roster_ids if stem.startswith(i) and _SEPARATORS.match(stem[len(i):])]
    if prefixes:
        return max(prefixes, key=len), "file name"
    for parent in reversed(path.parts[:-1]):
        if parent in roster_ids:
            return parent, "folder name"
    return None, ""


def _read(path: Path, label: str) -> Input:
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return Input(label, None, error=f"the file is larger than {MAX_NOTEBOOK_BYTES // 1024**2} MiB")
        return Input(label, path, sha256=_digest(path.read_bytes()))
    except OSError as error:
        return Input(label, None, error=f"cannot read the file: {error.strerror}")


def _skip(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" or p == ".ipynb_checkpoints" for p in parts)


def _from_archive(path: Path) -> list[Input]:
    label = str(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        return [Input(label, None, error=f"not a readable zip archive: {error}")]
    inputs, total = [], 0
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.is_dir() or not info.filename.endswith(".ipynb") or _skip(info.filename):
                continue
            member = f"{label}!{info.filename}"
            total += info.file_size
            if info.file_size > MAX_NOTEBOOK_BYTES or total > MAX_ARCHIVE_BYTES:
                inputs.append(Input(member, None, error="too large to unpack"))
                continue
            try:
                digest = _digest(archive.read(info))
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as error:
                inputs.append(Input(member, None, error=f"cannot unpack: {error}"))
                continue
            inputs.append(Input(member, path, info.filename, digest))
    return inputs


def collect_inputs(paths: list[str]) -> list[Input]:
    """Every submission under ``paths`` (files, folders, zip archives), sorted by label.

    A path that does not exist is a usage error (exit 2): nothing has been graded yet.
    """
    inputs: list[Input] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or folder")
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                relative = found.relative_to(path).as_posix()
                if found.is_file() and not _skip(relative):
                    if found.suffix == ".ipynb":
                        inputs.append(_read(found, str(found)))
                    elif found.suffix == ".zip":
                        inputs.extend(_from_archive(found))
        elif path.suffix == ".zip":
            inputs.extend(_from_archive(path))
        else:
            inputs.append(_read(path, str(path)))
    seen, unique = set(), []
    for item in inputs:
        if item.label not in seen:
            seen.add(item.label)
            unique.append(item)
    return sorted(unique, key=lambda i: i.label)
