"""Blocks of sandbox uids: one pool each, never shared by two pools running at once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from calcgrade.grader.sandbox.executor import (SANDBOX_UID_BASE, UID_BLOCK, SandboxError,
                                               UidBlock)


def test_two_pools_get_different_blocks(tmp_path):
    one = UidBlock.acquire(folder=str(tmp_path))
    two = UidBlock.acquire(folder=str(tmp_path))
    try:
        assert one.start != two.start
        for block in (one, two):
            offset = block.start - SANDBOX_UID_BASE
            assert offset >= 0 and offset % UID_BLOCK == 0
            assert block.start + UID_BLOCK <= 4_000_000_000
    finally:
        one.release()
        two.release()
    assert os.listdir(tmp_path) == []  # nothing left behind


def test_a_block_held_elsewhere_is_refused_until_released(tmp_path):
    held = UidBlock.acquire(2_000_123_904, folder=str(tmp_path))
    try:
        with pytest.raises(SandboxError, match="another grader holds it"):
            UidBlock.acquire(2_000_123_904, folder=str(tmp_path))
        # Another process (another grader) is refused too.
        code = ("import sys\nfrom calcgrade.grader.sandbox.executor import UidBlock, SandboxError\n"
                "try:\n    UidBlock.acquire(2_000_123_904, folder=sys.argv[1])\n"
                "except SandboxError:\n    sys.exit(3)\n")
        assert subprocess.run([sys.executable, "-c", code, str(tmp_path)]).returncode == 3
    finally:
        held.release()
    again = UidBlock.acquire(2_000_123_904, folder=str(tmp_path))
    again.release()


def test_a_block_outside_the_user_namespaces_map_is_not_used(tmp_path):
    from calcgrade.grader.sandbox.executor import uids_mapped

    whole = tmp_path / "init_map"
    whole.write_text("         0          0 4294967295\n")
    container = tmp_path / "container_map"
    container.write_text("         0     100000      65536\n")
    assert uids_mapped(2_000_000_000, 2, str(whole))
    assert not uids_mapped(2_000_000_000, 2, str(container))
    assert uids_mapped(1000, 2, str(container)) and not uids_mapped(65535, 2, str(container))
