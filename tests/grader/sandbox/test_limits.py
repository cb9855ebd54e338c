"""Limits: defaults, validation, serialization, applying rlimits in a child."""

from __future__ import annotations

import os
import resource

import pytest

from calcgrade.grader.sandbox.limits import GiB, Limits, apply_rlimits


def test_defaults_follow_the_design():
    limits = Limits()
    assert limits.wall_seconds == 60 and limits.cpu_seconds == 60
    assert limits.memory_bytes == 2 * GiB
    assert Limits(wall_seconds=2.5).cpu_seconds == 3
    assert Limits().replace(wall_seconds=4).cpu_seconds == 4


@pytest.mark.parametrize("field, value", [("wall_seconds", 0), ("memory_bytes", -1),
                                          ("processes", float("inf")), ("call_seconds", "1"),
                                          ("output_bytes", True)])
def test_invalid_limits_are_rejected(field, value):
    with pytest.raises((ValueError, TypeError), match=field):
        Limits(**{field: value})


def test_round_trip_and_unknown_keys():
    limits = Limits(wall_seconds=3, processes=4)
    assert Limits.from_dict(limits.to_dict()) == limits
    with pytest.raises(ValueError, match="bogus"):
        Limits.from_dict({"bogus": 1})


def test_apply_rlimits_lowers_the_limits_of_the_calling_process():
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            failed = apply_rlimits(Limits(wall_seconds=7, memory_bytes=GiB, processes=5,
                                          file_bytes=1000, open_files=64))
            values = [resource.getrlimit(r)[0] for r in (
                resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_NPROC,
                resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_CORE)]
            os.write(write_end, repr((failed, values)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = os.read(read_end, 10000).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    assert data == repr(([], [7, GiB, 5, 1000, 64, 0]))
