"""Find the submissions to grade, read them safely, and say whose they look like.

``calcgrade grade`` takes notebooks, folders and zip archives as an LMS exports them.
Every file found becomes exactly one :class:`Input`, of one of three kinds:

- ``notebook``: a ``*.ipynb`` file that was read (it may still turn out not to be JSON);
- ``other``: a file handed in that is not a notebook (``.pdf``, ``.py``, ``.txt`` …);
- ``skipped``: a file that was not read, with the reason: a link (never followed inside a
  folder), a member whose path is absolute or climbs out with ``..``, a duplicate member
  name, a zip inside a zip (not opened), a file over the size cap, a damaged or encrypted
  member, checkpoints and ``__MACOSX`` / dot files, members past the archive's caps.

Archives are read as streams: a member's bytes are counted as they are unpacked, whatever
its header claims, and reading stops at :class:`InputLimits` (bytes per file, members per
archive, unpacked bytes per archive, size of the archive's directory). Only stored and
deflated members are unpacked. A notebook from an archive is copied to a private spool
folder as it is read, and its hash is that of the copied bytes, which are the bytes graded;
a plain file is hashed when found and checked against that hash when it is read again.

Error texts name the problem, never the file's content.

The student a path names, in this order: the file name (``<id>.ipynb``, or ``<id>``
followed by ``_``, ``-``, ``.`` or a space and anything; the longest roster id wins), the
nearest folder named ``<id>``, and for an archive member, the archive's own name or folder:

>>> identify_from_path("exports/ada01_hw3.ipynb", {"ada01", "ada"})
('ada01', 'file name')
>>> identify_from_path("gradescope/bob/answers.ipynb", {"bob"})
('bob', 'folder name')
>>> identify_from_path("lms/cy.zip!answers.ipynb", {"cy"})
('cy', 'archive name')
>>> identify_from_path("lms/all.zip!wow!/bob.ipynb", {"bob", "wow"})
('bob', 'file name')
>>> unsafe_member_name("../../etc/passwd"), unsafe_member_name("s1/answers.ipynb")
('its path climbs out of the archive with ..', '')
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from calcgrade.core.errors import UsageError

NOTEBOOK, OTHER, SKIPPED = "notebook", "other", "skipped"
_SEPARATORS = re.compile(r"[_\-. ]")
_CHUNK = 1 << 16
_JUNK_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MEMBER = re.compile(r"(?is)^(.*?\.zip)!(.*)$")   # "archive.zip!member/path"


@dataclass(frozen=True)
class InputLimits:
    """Caps on what is read, whatever a file or an archive header claims."""

    file_bytes: int = 16 * 1024**2        # one file or archive member, as unpacked
    members: int = 10_000                 # members read from one archive (in name order)
    archive_bytes: int = 1024**3          # unpacked bytes read from one archive
    directory_bytes: int = 4 * 1024**2    # an archive's central directory
    kept_bytes: int = 2 * 1024**2         # notebooks kept in memory from their first reading


DEFAULT_LIMITS = InputLimits()


class InputError(Exception):
    """An input cannot be read (again); ``reason`` says why, without quoting the file."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Input:
    """One file handed in: where it came from, what it is, the hash of its bytes.

    A notebook's bytes are read once, when they are hashed, and kept (``data``) while
    the notebooks kept so far total at most ``InputLimits.kept_bytes``; the others are
    read again on demand (:meth:`read`) and checked against their hash, so a large
    batch never holds every notebook in memory.
    """

    label: str                  # path as found, or "archive.zip!member/path"
    kind: str                   # NOTEBOOK, OTHER or SKIPPED
    source: Path | None = None  # the file holding the bytes (a spooled copy for members)
    sha256: str = ""            # of the bytes read ("" when nothing was read)
    size: int = 0
    mtime: float = 0.0          # modification time (a member's date in its archive)
    reason: str = ""            # why it was skipped, or what it is when not a notebook
    name: str = ""              # the path that names the student (archive!member without copies)
    max_bytes: int = DEFAULT_LIMITS.file_bytes
    data: bytes | None = field(default=None, repr=False, compare=False)  # the bytes hashed

    def read(self) -> bytes:
        """The notebook's bytes, exactly the ones hashed; raises :class:`InputError`."""
        if self.kind != NOTEBOOK or self.source is None:
            raise InputError(self.reason or "the file was not read")
        if self.data is not None:
            return self.data
        with _open_regular(self.source) as handle:
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise InputError(f"the file is larger than {_size(self.max_bytes)}")
        if hashlib.sha256(data).hexdigest() != self.sha256:
            raise InputError("the file changed while it was being graded; grade it again")
        return data


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def _open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading without following a final symlink or blocking on
    a FIFO; raises :class:`InputError`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise InputError(f"cannot read the file ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise InputError("not a regular file")
    return os.fdopen(descriptor, "rb")


def identify_from_path(name: str, roster_ids: set[str]) -> tuple[str | None, str]:
    """The roster id named by a submission's file or folder name, and how it was found."""
    member = _MEMBER.match(name)
    outer, inner = (member.group(1), member.group(2)) if member else ("", name)
    found = _identify_one(inner, roster_ids)
    if found[0] is None and outer:
        student, how = _identify_one(outer, roster_ids, archive=True)
        return (student, "archive name") if student else (None, "")
    return found


def _identify_one(path_text: str, roster_ids: set[str], archive: bool = False) -> tuple[str | None, str]:
    path = PurePosixPath(path_text.replace("\\", "/"))
    suffix = ".zip" if archive else ".ipynb"
    stem = path.name[:-len(suffix)] if path.name.lower().endswith(suffix) else path.stem
    if stem in roster_ids:
        return stem, "file name"
    prefixes = [i for i in roster_ids if stem.startswith(i) and _SEPARATORS.match(stem[len(i):])]
    if prefixes:
        return max(prefixes, key=len), "file name"
    for parent in reversed(path.parts[:-1]):
        if parent in roster_ids:
            return parent, "folder name"
    return None, ""


def unsafe_member_name(name: str) -> str:
    """Why an archive member's name is unsafe to use as a path ("" when it is safe)."""
    if _CONTROL.search(name):
        return "its name contains control characters"
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        return "its path is absolute"
    if ".." in text.split("/"):
        return "its path climbs out of the archive with .."
    return ""


def _junk(relative: str) -> str:
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if any(p in _JUNK_PARTS for p in parts):
        return "a system or checkpoint copy (__MACOSX, .ipynb_checkpoints), not a submission"
    if any(p.startswith(".") for p in parts):
        return "a hidden file, not a submission"
    return ""


def _kind_of(name: str) -> str:
    return NOTEBOOK if name.lower().endswith(".ipynb") else OTHER


def _what(name: str) -> str:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return f"a {suffix} file, not a notebook" if suffix else "a file without extension, not a notebook"


class _Kept:
    """What is left of ``InputLimits.kept_bytes`` while the inputs are collected."""

    def __init__(self, limit: int):
        self.left = limit

    def take(self, chunks: list[bytes] | None, size: int) -> bytes | None:
        """The bytes read, joined, if they still fit (and are counted), else None."""
        if chunks is None or size > self.left:
            return None
        self.left -= size
        return b"".join(chunks)


def _hash_stream(stream: BinaryIO, cap: int, sink: BinaryIO | None,
                 chunks: list[bytes] | None = None) -> tuple[str, int]:
    """(sha256, size) of at most ``cap`` bytes; size ``cap + 1`` means "larger". The
    bytes also go to ``sink`` and to ``chunks`` when given."""
    digest, size = hashlib.sha256(), 0
    while size <= cap:
        chunk = stream.read(min(_CHUNK, cap + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
        if chunks is not None:
            chunks.append(chunk)
    return digest.hexdigest(), size


# --- plain files ---------------------------------------------------------------------------------


def _read_file(path: Path, label: str, limits: InputLimits, kept: _Kept | None = None) -> Input:
    """A plain file: hashed now (at most ``limits.file_bytes``); a notebook's bytes are
    kept while ``kept`` allows, else read again when graded."""
    kind, name = _kind_of(path.name), label
    chunks = None
    try:
        with _open_regular(path) as handle:
            status = os.fstat(handle.fileno())
            mtime = status.st_mtime
            if kind == NOTEBOOK and kept is not None and status.st_size <= kept.left:
                chunks = []
            digest, size = _hash_stream(handle, limits.file_bytes, None, chunks)
    except InputError as error:
        return Input(label, SKIPPED, reason=error.reason, name=name)
    if size > limits.file_bytes:
        return Input(label, SKIPPED, mtime=mtime, name=name,
                     reason=f"larger than {_size(limits.file_bytes)}; not read")
    data = kept.take(chunks, size) if kept is not None else None
    return Input(label, kind, path, digest, size, mtime, "" if kind == NOTEBOOK else _what(path.name),
                 name, limits.file_bytes, data)


def shown_path(path: os.PathLike | str) -> str:
    """A path as text that can be written anywhere: bytes that are not UTF-8 in a file
    name are shown as ``\\xNN``.

    >>> shown_path(os.fsdecode(b"s1\\xff.ipynb"))
    's1\\\\xff.ipynb'
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _link_reason(found: Path, root: Path) -> str:
    try:
        target = found.resolve(strict=True)
    except (OSError, RuntimeError):
        return "a broken or looping symbolic link; not followed"
    inside = target == root or root in target.parents
    if not inside:
        return "a symbolic link that leads out of the submissions folder; not followed"
    if target.is_dir():
        return "a symbolic link to a folder; links are not followed"
    return "a symbolic link to another file in the folder; that file is read under its own name"


def _walk(root_text: str, limits: InputLimits, spool: Path, kept: _Kept | None = None) -> list[Input]:
    """Every file under a folder, without following any link inside it."""
    root = Path(root_text).resolve()
    inputs, stack = [], [Path(root_text)]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as error:
            inputs.append(Input(shown_path(folder), SKIPPED, name=shown_path(folder),
                                reason=f"cannot list the folder ({error.strerror})"))
            continue
        for entry in entries:
            found = Path(entry.path)
            label = shown_path(found)
            relative = found.relative_to(root_text).as_posix()
            if entry.is_symlink():
                inputs.append(Input(label, SKIPPED, reason=_link_reason(found, root), name=label))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(found)
            elif _junk(relative):
                inputs.append(Input(label, SKIPPED, reason=_junk(relative), name=label))
            elif not entry.is_file(follow_symlinks=False):
                inputs.append(Input(label, SKIPPED, reason="not a regular file", name=label))
            elif entry.name.lower().endswith(".zip"):
                inputs.extend(_from_archive(found, label, limits, spool, kept))
            else:
                inputs.append(_read_file(found, label, limits, kept))
    return inputs


# --- archives ------------------------------------------------------------------------------------


def _directory_size(path: Path) -> int | None:
    """The size of a zip's central directory from its end record (None: no end record)."""
    try:
        with _open_regular(path) as handle:
            end = zipfile._EndRecData(handle)  # the record ZipFile itself will trust
    except (InputError, OSError):
        return None
    return None if end is None else int(end[zipfile._ECD_SIZE])


def _member_time(info: zipfile.ZipInfo) -> float:
    try:
        return time.mktime((*info.date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return 0.0


def _member_problem(info: zipfile.ZipInfo) -> str:
    """Why a member is not unpacked, before reading it ("" when it may be)."""
    name = info.filename
    reason = unsafe_member_name(name) or _junk(name)
    if reason:
        return reason
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link inside the archive; not followed"
    if name.lower().endswith(".zip"):
        return "a zip archive inside the archive; nested archives are not opened (unpack it and grade its contents)"
    if info.flag_bits & 0x1:
        return "an encrypted member; not read"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return "compressed with a method calcgrade does not unpack (only stored and deflated)"
    return ""


def _from_archive(path: Path, label: str, limits: InputLimits, spool: Path,
                  kept: _Kept | None = None) -> list[Input]:
    """Every member of a zip archive, read as a capped stream."""
    directory = _directory_size(path)
    if directory is None:
        return [Input(label, SKIPPED, reason="not a readable zip archive", name=label)]
    if directory > limits.directory_bytes:
        return [Input(label, SKIPPED, name=label,
                      reason=f"the archive's directory is larger than {_size(limits.directory_bytes)} "
                             "(too many members); not read")]
    try:
        with _open_regular(path) as handle, zipfile.ZipFile(handle) as archive:
            members = _members(archive, label, limits, spool, kept)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, InputError):
        return [Input(label, SKIPPED, reason="not a readable zip archive", name=label)]
    return members or [Input(label, SKIPPED, reason="an empty zip archive (no files in it)", name=label)]


def _members(archive: zipfile.ZipFile, label: str, limits: InputLimits, spool: Path,
             kept: _Kept | None = None) -> list[Input]:
    infos = sorted((i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename)
    inputs, names, total = [], {}, 0
    for index, info in enumerate(infos):
        if index == limits.members:
            rest = len(infos) - index
            inputs.append(Input(f"{label}!({rest} more members)", SKIPPED, name=label,
                                reason=f"the archive has {len(infos)} members; calcgrade reads the "
                                       f"first {limits.members} in name order; these were not read"))
            break
        key = info.filename.replace("\\", "/")
        copies = names[key] = names.get(key, 0) + 1
        member = f"{label}!{info.filename}" + (f" (copy {copies})" if copies > 1 else "")
        name = f"{label}!{info.filename}"
        mtime = _member_time(info)
        reason = _member_problem(info)
        if copies > 1:
            reason = "a duplicate member name (the archive holds this name more than once); not read"
        elif not reason and total >= limits.archive_bytes:
            reason = _over_budget(limits)
        if reason:
            inputs.append(Input(member, SKIPPED, mtime=mtime, reason=reason, name=name))
            continue
        item, read = _unpack(archive, info, member, name, mtime, limits, spool,
                             limits.archive_bytes - total, kept)
        total += read
        inputs.append(item)
    return inputs


def _over_budget(limits: InputLimits) -> str:
    return f"not read: the archive unpacks to more than {_size(limits.archive_bytes)} in all"


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, member: str, name: str, mtime: float,
            limits: InputLimits, spool: Path, budget: int,
            kept: _Kept | None = None) -> tuple[Input, int]:
    """One member read through a stream capped at ``min(file_bytes, budget)`` whatever its
    header says; (its Input, bytes unpacked)."""
    kind = _kind_of(info.filename)
    cap = min(limits.file_bytes, budget)
    sink, copy, chunks = None, None, None
    try:
        if kind == NOTEBOOK:
            descriptor, copy = tempfile.mkstemp(dir=spool, suffix=".ipynb")
            sink = os.fdopen(descriptor, "wb")
            if kept is not None and info.file_size <= kept.left:  # as claimed; checked in take
                chunks = []
        with archive.open(info) as stream:
            digest, size = _hash_stream(stream, cap, sink, chunks)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError, NotImplementedError,
            RuntimeError):
        _discard(sink, copy)
        return Input(member, SKIPPED, mtime=mtime, name=name,
                     reason="a damaged archive member (it cannot be unpacked)"), 0
    if sink is not None:
        sink.close()
    if size > cap:
        _discard(sink, copy)
        reason = (f"larger than {_size(cap)} once unpacked; not read" if cap == limits.file_bytes
                  else _over_budget(limits))
        return Input(member, SKIPPED, mtime=mtime, name=name, reason=reason), size
    if kind != NOTEBOOK:
        return Input(member, OTHER, None, digest, size, mtime, _what(info.filename), name), size
    data = kept.take(chunks, size) if kept is not None else None
    return Input(member, NOTEBOOK, Path(copy), digest, size, mtime, "", name, limits.file_bytes,
                 data), size


def _discard(sink: BinaryIO | None, copy: str | None) -> None:
    if sink is not None:
        sink.close()
    if copy is not None:
        Path(copy).unlink(missing_ok=True)


# --- everything ----------------------------------------------------------------------------------


def collect_inputs(paths: list[str], spool: str | os.PathLike,
                   limits: InputLimits = DEFAULT_LIMITS) -> list[Input]:
    """Every file under ``paths`` (files, folders, zip archives), sorted by label.

    ``spool`` is a private folder that holds the notebooks unpacked from archives for as
    long as they are graded. The first notebooks, up to ``limits.kept_bytes`` in all,
    keep the bytes read to hash them (:class:`Input`). A path that does not exist is a usage error (exit 2):
    nothing has been graded yet. A file or folder named here is followed even when it is
    a link; nothing inside a folder is.
    """
    spool = Path(spool)
    kept = _Kept(limits.kept_bytes)
    inputs: list[Input] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise UsageError(f"{given}: no such file or folder")
        if path.is_dir():
            inputs.extend(_walk(given, limits, spool, kept))
        elif path.name.lower().endswith(".zip"):
            inputs.extend(_from_archive(path.resolve(), shown_path(given), limits, spool, kept))
        else:
            item = _read_file(path.resolve(), shown_path(given), limits, kept)
            inputs.append(item)
    seen, unique = set(), []
    for item in inputs:
        if item.label not in seen:
            seen.add(item.label)
            unique.append(item)
    return sorted(unique, key=lambda i: i.label)
