"""Reading submissions safely: hostile archives, links, files that are not notebooks."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calcgrade.grader.sandbox.submission import InvalidSubmission, parse_submission
from calcgrade.grader.submissions import (NOTEBOOK, OTHER, SKIPPED, Input, InputError, InputLimits,
                                          collect_inputs, unsafe_member_name)

MiB = 1024 * 1024
NOTEBOOK_BYTES = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def collect(paths, spool, limits=InputLimits()):
    return {item.label: item for item in collect_inputs([str(p) for p in paths], spool, limits)}


@pytest.fixture
def spool(tmp_path):
    folder = tmp_path / "spool"
    folder.mkdir()
    return folder


def write_zip(path: Path, members: list[tuple[str, bytes]], **options) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **options) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def write_bomb(path: Path, name: str, size: int) -> Path:
    """A member of ``size`` zero bytes, deflated (a few hundred KiB on disk)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as member:
            block = bytes(MiB)
            for _ in range(size // MiB):
                member.write(block)
    return path


def lie_about_sizes(path: Path, claimed: int) -> None:
    """Rewrite the uncompressed size of every member, in local headers and directory."""
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            data[found + offset:found + offset + 4] = struct.pack("<I", claimed)
            start = found + 4
    path.write_bytes(bytes(data))


# --- archives ------------------------------------------------------------------------------------


def test_a_zip_bomb_is_cut_at_the_size_cap_and_reported(tmp_path, spool):
    archive = write_bomb(tmp_path / "bomb.zip", "s0001.ipynb", 48 * MiB)
    assert archive.stat().st_size < MiB
    items = collect([archive], spool)
    item = items[f"{archive}!s0001.ipynb"]
    assert item.kind == SKIPPED and "larger than 16 MiB" in item.reason and item.sha256 == ""
    assert sum(f.stat().st_size for f in spool.iterdir()) == 0  # nothing left in the spool
    with pytest.raises(InputError):
        item.read()


@pytest.mark.parametrize("claimed", [100, 0x7FFF_FFFF])
def test_headers_that_lie_about_the_size_change_nothing(tmp_path, spool, claimed):
    """A bomb whose headers claim 100 bytes, or 2 GiB: the bytes are counted as unpacked."""
    archive = write_bomb(tmp_path / "liar.zip", "s0001.ipynb", 32 * MiB)
    lie_about_sizes(archive, claimed)
    item = collect([archive], spool)[f"{archive}!s0001.ipynb"]
    assert item.kind == SKIPPED
    assert ("damaged" in item.reason) if claimed == 100 else ("larger than 16 MiB" in item.reason)


def test_a_small_member_whose_header_claims_more_is_read_whole(tmp_path, spool):
    archive = write_zip(tmp_path / "a.zip", [("s0001.ipynb", NOTEBOOK_BYTES)])
    lie_about_sizes(archive, 50 * MiB)
    item = collect([archive], spool)[f"{archive}!s0001.ipynb"]
    assert item.kind == NOTEBOOK and item.read() == NOTEBOOK_BYTES
    assert item.sha256 == hashlib.sha256(NOTEBOOK_BYTES).hexdigest()


def test_unsafe_duplicate_nested_and_foreign_members_each_get_one_row(tmp_path, spool):
    inner = write_zip(tmp_path / "inner.zip", [("s0009.ipynb", NOTEBOOK_BYTES)]).read_bytes()
    members = [
        ("s0001.ipynb", NOTEBOOK_BYTES),
        ("../s0002.ipynb", NOTEBOOK_BYTES),
        ("../../../etc/s0003.ipynb", NOTEBOOK_BYTES),
        ("/abs/s0004.ipynb", NOTEBOOK_BYTES),
        ("C:\\Users\\s0005.ipynb", NOTEBOOK_BYTES),
        ("dup/s0006.ipynb", NOTEBOOK_BYTES),
        ("dup/s0006.ipynb", b"second copy"),
        ("nested.zip", inner),
        ("report.pdf", b"%PDF-1.4 not a notebook"),
        ("code/s0007.py", b"print('hi')"),
        ("__MACOSX/._s0001.ipynb", b"junk"),
        ("line\nbreak.ipynb", NOTEBOOK_BYTES),
    ]
    archive = write_zip(tmp_path / "hostile.zip", members)
    items = collect([archive], spool)
    assert len(items) == len(members)
    kinds = {label.split("!", 1)[1]: item for label, item in items.items()}
    assert kinds["s0001.ipynb"].kind == NOTEBOOK
    for name in ("../s0002.ipynb", "../../../etc/s0003.ipynb"):
        assert kinds[name].kind == SKIPPED and ".." in kinds[name].reason
    for name in ("/abs/s0004.ipynb", "C:\\Users\\s0005.ipynb"):
        assert kinds[name].kind == SKIPPED and "absolute" in kinds[name].reason
    assert kinds["dup/s0006.ipynb"].kind == NOTEBOOK and kinds["dup/s0006.ipynb"].read() == NOTEBOOK_BYTES
    assert kinds["dup/s0006.ipynb (copy 2)"].kind == SKIPPED
    assert "duplicate" in kinds["dup/s0006.ipynb (copy 2)"].reason
    assert kinds["nested.zip"].kind == SKIPPED and "nested archives are not opened" in kinds["nested.zip"].reason
    assert kinds["report.pdf"].kind == OTHER and kinds["report.pdf"].reason.startswith("a .pdf file")
    assert kinds["report.pdf"].sha256 == hashlib.sha256(b"%PDF-1.4 not a notebook").hexdigest()
    assert kinds["code/s0007.py"].kind == OTHER
    assert kinds["__MACOSX/._s0001.ipynb"].kind == SKIPPED
    assert kinds["line\nbreak.ipynb"].kind == SKIPPED and "control characters" in kinds["line\nbreak.ipynb"].reason
    # nothing was written outside the spool
    assert not (tmp_path.parent / "s0002.ipynb").exists() and not Path("/abs").exists()


def test_ten_thousand_tiny_members_are_listed_up_to_the_cap_and_the_rest_in_one_row(tmp_path, spool):
    count = 10_030
    archive = write_zip(tmp_path / "many.zip", [(f"junk/{i:05d}.txt", b"x") for i in range(count)]
                        + [("zz/s0001.ipynb", NOTEBOOK_BYTES)])
    items = collect([archive], spool)
    read = [item for item in items.values() if item.kind == OTHER]
    assert len(read) == 10_000
    overflow = [item for item in items.values() if "more members" in item.label]
    assert len(overflow) == 1 and "31 more members" in overflow[0].label
    assert "10031 members" in overflow[0].reason
    assert len(items) == 10_001


def test_a_directory_over_its_cap_is_refused_before_it_is_loaded(tmp_path, spool):
    archive = write_zip(tmp_path / "wide.zip", [(f"{i:04d}.ipynb", b"{}") for i in range(500)])
    items = collect([archive], spool, InputLimits(directory_bytes=4096))
    assert list(items) == [str(archive)]
    assert "directory is larger than 4 KiB" in items[str(archive)].reason


def test_the_total_unpacked_bytes_of_an_archive_are_capped(tmp_path, spool):
    archive = write_zip(tmp_path / "total.zip", [(f"s{i:04d}.ipynb", bytes(1000)) for i in range(10)])
    items = collect([archive], spool, InputLimits(archive_bytes=3500))
    kinds = [items[f"{archive}!s{i:04d}.ipynb"].kind for i in range(10)]
    assert kinds == [NOTEBOOK] * 3 + [SKIPPED] * 7
    assert all("in all" in items[f"{archive}!s{i:04d}.ipynb"].reason for i in range(3, 10))


def test_links_encryption_and_other_compressions_inside_archives_are_not_read(tmp_path, spool):
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("s0001.ipynb")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
        archive.writestr("s0002.ipynb", NOTEBOOK_BYTES, compress_type=zipfile.ZIP_BZIP2)
        archive.writestr("s0003.ipynb", NOTEBOOK_BYTES, compress_type=zipfile.ZIP_LZMA)
    items = collect([path], spool)
    assert "symbolic link" in items[f"{path}!s0001.ipynb"].reason
    for name in ("s0002.ipynb", "s0003.ipynb"):
        assert items[f"{path}!{name}"].kind == SKIPPED and "only stored and deflated" in items[f"{path}!{name}"].reason


def test_an_empty_archive_is_one_row_for_its_student(tmp_path, spool):
    archive = write_zip(tmp_path / "s0001.zip", [])
    with zipfile.ZipFile(archive, "a") as handle:
        handle.writestr(zipfile.ZipInfo("only/a/folder/"), b"")
    items = collect([archive], spool)
    assert list(items) == [str(archive)] and items[str(archive)].reason == "an empty zip archive (no files in it)"


def test_a_damaged_archive_is_one_row_whose_reason_quotes_nothing(tmp_path, spool):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04 SECRET-CONTENT " * 10)
    items = collect([path], spool)
    assert list(items) == [str(path)]
    assert items[str(path)].reason == "not a readable zip archive"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["a.ipynb", "b.ipynb", "../c.ipynb", "/d.ipynb", "e.txt", "f/g.ipynb",
                                 "__MACOSX/h.ipynb", "i.zip", "j\\..\\k.ipynb"]), min_size=1, max_size=12))
def test_every_member_appears_exactly_once(tmp_path, names):
    folder = tmp_path / f"case{abs(hash(tuple(names)))}"
    folder.mkdir()
    (folder / "spool").mkdir()
    archive = write_zip(folder / "x.zip", [(name, NOTEBOOK_BYTES) for name in names])
    items = collect_inputs([str(archive)], folder / "spool")
    assert len(items) == len(names) == len({item.label for item in items})
    read = [item for item in items if item.kind == NOTEBOOK]
    assert all(not unsafe_member_name(item.name.split("!", 1)[1]) for item in read)


# --- folders -------------------------------------------------------------------------------------


def test_links_in_folders_are_never_followed(tmp_path, spool):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "s0002.ipynb").write_bytes(NOTEBOOK_BYTES)
    root = tmp_path / "subs"
    (root / "s0001").mkdir(parents=True)
    (root / "s0001" / "answers.ipynb").write_bytes(NOTEBOOK_BYTES)
    (root / "s0002.ipynb").symlink_to(outside / "s0002.ipynb")
    (root / "passwd.ipynb").symlink_to("/etc/passwd")
    (root / "s0001" / "loop").symlink_to(root)            # a folder loop
    (root / "copy.ipynb").symlink_to(root / "s0001" / "answers.ipynb")
    (root / "a.ipynb").symlink_to(root / "b.ipynb")        # a file loop
    (root / "b.ipynb").symlink_to(root / "a.ipynb")
    (root / "gone.ipynb").symlink_to(root / "nothing")
    (root / "out").symlink_to(outside)
    items = collect([root], spool)
    assert len(items) == 9
    assert items[str(root / "s0001" / "answers.ipynb")].kind == NOTEBOOK
    reasons = {Path(label).name: item.reason for label, item in items.items() if item.kind == SKIPPED}
    assert "leads out of the submissions folder" in reasons["s0002.ipynb"]
    assert "leads out of the submissions folder" in reasons["passwd.ipynb"]
    assert "leads out of the submissions folder" in reasons["out"]
    assert "link to a folder" in reasons["loop"]
    assert "read under its own name" in reasons["copy.ipynb"]
    assert "looping" in reasons["a.ipynb"] and "looping" in reasons["b.ipynb"] and "broken" in reasons["gone.ipynb"]
    assert all(item.sha256 == "" for item in items.values() if item.kind == SKIPPED)


def test_a_fifo_in_a_folder_does_not_block_and_gets_a_row(tmp_path, spool):
    root = tmp_path / "subs"
    root.mkdir()
    os.mkfifo(root / "s0001.ipynb")
    items = collect([root], spool)
    assert items[str(root / "s0001.ipynb")].reason == "not a regular file"


def test_files_that_are_not_notebooks_are_listed_with_their_hash(tmp_path, spool):
    root = tmp_path / "subs"
    root.mkdir()
    contents = {"s0001.pdf": b"%PDF", "s0002.py": b"x = 1", "s0003.txt": b"my answers", "README": b"hi"}
    for name, data in contents.items():
        (root / name).write_bytes(data)
    (root / ".DS_Store").write_bytes(b"junk")
    items = collect([root], spool)
    assert len(items) == 5
    for name, data in contents.items():
        item = items[str(root / name)]
        assert item.kind == OTHER and item.sha256 == hashlib.sha256(data).hexdigest()
    assert items[str(root / "s0001.pdf")].reason == "a .pdf file, not a notebook"
    assert items[str(root / ".DS_Store")].kind == SKIPPED


def test_a_file_name_that_is_not_utf8_is_read_and_shown_with_escapes(tmp_path, spool):
    root = tmp_path / "subs"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"s0001\xff.ipynb"), "wb") as handle:
        handle.write(NOTEBOOK_BYTES)
    items = collect([root], spool)
    label = f"{root}/s0001\\xff.ipynb"
    assert list(items) == [label] and items[label].read() == NOTEBOOK_BYTES
    label.encode("utf-8")  # writable to any report


def test_the_bytes_read_are_the_bytes_hashed(tmp_path, spool):
    """A notebook kept from its first reading is graded as hashed, whatever happens to the
    file afterwards; one read again (past the memory allowance) is checked against its hash."""
    path = tmp_path / "s0001.ipynb"
    path.write_bytes(NOTEBOOK_BYTES)
    kept = collect([path], spool)[str(path)]
    again = collect([path], spool, InputLimits(kept_bytes=0))[str(path)]
    assert kept.data == NOTEBOOK_BYTES and again.data is None
    assert kept.sha256 == again.sha256 == hashlib.sha256(NOTEBOOK_BYTES).hexdigest()
    assert again.read() == NOTEBOOK_BYTES
    path.write_bytes(NOTEBOOK_BYTES + b" ")
    assert kept.read() == NOTEBOOK_BYTES
    with pytest.raises(InputError, match="changed while it was being graded"):
        again.read()


def test_notebooks_are_kept_in_memory_up_to_the_allowance_in_all(tmp_path, spool):
    root = tmp_path / "subs"
    root.mkdir()
    for number in range(5):
        (root / f"s000{number}.ipynb").write_bytes(NOTEBOOK_BYTES)
    (root / "notes.txt").write_bytes(b"x" * 10)
    write_zip(root / "more.zip", [(f"s100{n}.ipynb", NOTEBOOK_BYTES) for n in range(3)])
    allowance = 4 * len(NOTEBOOK_BYTES)
    items = collect([root], spool, InputLimits(kept_bytes=allowance))
    notebooks = [item for item in items.values() if item.kind == NOTEBOOK]
    kept = [item for item in notebooks if item.data is not None]
    assert len(notebooks) == 8 and len(kept) == 4
    assert all(item.data == NOTEBOOK_BYTES for item in kept)
    assert all(item.read() == NOTEBOOK_BYTES for item in notebooks)  # the others, read again
    assert items[str(root / "notes.txt")].data is None


def test_a_file_over_the_cap_is_not_read(tmp_path, spool):
    path = tmp_path / "s0001.ipynb"
    path.write_bytes(bytes(2 * MiB))
    item = collect([path], spool, InputLimits(file_bytes=MiB))[str(path)]
    assert item.kind == SKIPPED and item.reason == "larger than 1 MiB; not read"


def test_a_missing_path_is_a_usage_error(tmp_path, spool):
    from calcgrade.core.errors import UsageError

    with pytest.raises(UsageError, match="no such file or folder"):
        collect_inputs([str(tmp_path / "nowhere")], spool)


# --- messages never quote the file ---------------------------------------------------------------


@pytest.mark.parametrize("data", [
    b'{"cells": [ "SECRET-CONTENT" ',
    b'{"cells": [{"cell_type": "SECRET-CONTENT", "source": "x"}], "metadata": {}, "nbformat": 4, '
    b'"nbformat_minor": 5}',
    b'{"cells": [], "metadata": {"kernelspec": "SECRET-CONTENT"}, "nbformat": 4, "nbformat_minor": 5}',
])
def test_invalid_notebook_messages_neither_quote_nor_locate_the_content(data):
    with pytest.raises(InvalidSubmission) as caught:
        parse_submission(data, "s0001.ipynb")
    message = caught.value.reason
    assert "SECRET" not in message and "line" not in message and "column" not in message
    assert message.startswith("s0001.ipynb is not a")


def test_input_read_refuses_what_was_not_read():
    with pytest.raises(InputError, match="a .pdf file"):
        Input("x.pdf", OTHER, reason="a .pdf file, not a notebook").read()
