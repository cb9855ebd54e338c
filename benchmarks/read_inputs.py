"""Reading hostile inputs: time and peak memory of ``collect_inputs`` (median of several runs).

Run:  python benchmarks/read_inputs.py [--runs 3]

Cases: a zip bomb (one member of 1 GiB of zeros, about 1 MiB on disk), the same bomb with
headers that claim 100 bytes, an archive of 20,000 tiny members, and a folder of 2,000
notebooks. Reading stops at the caps (16 MiB a member, 10,000 members), so time and memory
stay small whatever the archive claims or holds.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import struct
import tempfile
import time
import zipfile
from pathlib import Path

from calcgrade.grader.grading.submissions import collect_inputs

MiB = 1024 * 1024


def make_bomb(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("s0001.ipynb", "w", force_zip64=True) as member:
            block = bytes(MiB)
            for _ in range(size // MiB):
                member.write(block)
    return path


def make_liar(source: Path, path: Path) -> Path:
    data = bytearray(source.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            data[found + offset:found + offset + 4] = struct.pack("<I", 100)
            start = found + 4
    path.write_bytes(bytes(data))
    return path


def make_many(path: Path, count: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index in range(count):
            archive.writestr(f"junk/{index:05d}.txt", b"x")
    return path


def make_folder(path: Path, count: int) -> Path:
    path.mkdir()
    text = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    for index in range(count):
        (path / f"s{index:05d}.ipynb").write_bytes(text)
    return path


def time_case(target: Path, runs: int) -> tuple[float, int]:
    times, rows = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as spool:
            start = time.perf_counter()
            rows = len(collect_inputs([str(target)], spool))
            times.append(time.perf_counter() - start)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print(f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        bomb = make_bomb(root / "bomb.zip", 1024 * MiB)
        cases = {
            f"zip bomb, 1 GiB in {bomb.stat().st_size / MiB:.1f} MiB": bomb,
            "zip bomb, headers claim 100 bytes": make_liar(bomb, root / "liar.zip"),
            "20,000 tiny members": make_many(root / "many.zip", 20_000),
            "folder of 2,000 notebooks": make_folder(root / "folder", 2_000),
        }
        for name, target in cases.items():
            seconds, rows = time_case(target, options.runs)
            print(f"{name:40s} {seconds * 1000:8.0f} ms  {rows:6d} rows")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
