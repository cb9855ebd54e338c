"""Cgroups for a submission's whole process tree: detection, a run group on the real
hierarchy (when this machine lets the tests manage cgroups), clean removal."""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from calcgrade.grader.sandbox import cgroups


@pytest.fixture
def base():
    made = cgroups.create_base(f"calcgrade-test-{uuid.uuid4().hex[:12]}")
    if "dirs" not in made:
        pytest.skip(f"no cgroups here: {made['unavailable']}")
    yield made
    cgroups.remove_base(made)
    assert not any(os.path.exists(path) for path in made["dirs"].values())


def test_own_groups_are_read_per_controller():
    text = "12:cpu,cpuacct:/a\n4:memory:/process_api/x\n0::/user.slice/session-1.scope\n"
    assert cgroups.parse_own_groups(text) == {
        "cpu": "/a", "cpuacct": "/a", "memory": "/process_api/x",
        "": "/user.slice/session-1.scope"}


def test_without_the_memory_and_pids_controllers_the_reason_is_given(tmp_path):
    # A v2 hierarchy whose grader group was not delegated the controllers.
    (tmp_path / "cgroup.subtree_control").write_text("cpu io\n")
    made = cgroups.create_base("calcgrade-x", mounts=[("cgroup2", str(tmp_path), "/", "rw")],
                               own={"": "/"})
    assert "memory, pids are not delegated" in made["unavailable"]
    assert not (tmp_path / "calcgrade-x").exists()
    described = cgroups.describe(made)
    assert described["cgroup"] is False and described["memory_limit"] == "per process (rlimit)"
    assert described["cgroup_unavailable"] == made["unavailable"]


def _child_in(group: cgroups.RunGroup, megabytes: int, spin_seconds: float = 0.0) -> int:
    """Fork a child that joins ``group``, touches ``megabytes`` and spins; its exit status."""
    pid = os.fork()
    if pid == 0:
        try:
            group.join()
            block = bytearray(b"x") * (megabytes * 1024 * 1024)
            import time
            end = time.process_time() + spin_seconds
            while time.process_time() < end:
                pass
            del block
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1]


def test_a_run_group_limits_memory_and_accounts_cpu(base):
    group = cgroups.RunGroup(base, "run-test-1")
    group.create(memory_bytes=64 * 1024 * 1024, processes=8, cpu_cores=1.0)
    assert group.active
    assert _child_in(group, 16, spin_seconds=0.2) == 0
    assert group.cpu_seconds() >= 0.2
    report = group.memory_report()
    assert report["oom_kills"] == 0 and report["memory_peak"] >= 16 * 1024 * 1024
    status = _child_in(group, 256)  # four times the limit: the OOM killer stops it
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert group.memory_report()["oom_kills"] >= 1
    assert group.remove() and not any(os.path.exists(p) for p in group.dirs.values())


def test_removing_kills_what_is_left_in_the_group(base):
    group = cgroups.RunGroup(base, "run-test-2")
    group.create(memory_bytes=64 * 1024 * 1024, processes=8, cpu_cores=0.5)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        group.join()
        os.write(write_end, b"in")
        signal.pause()
        os._exit(0)
    assert os.read(read_end, 2) == b"in"
    os.close(read_end)
    os.close(write_end)
    assert group.remove()
    assert os.waitpid(pid, 0)[1] == signal.SIGKILL


def test_remove_base_cleans_up_groups_a_killed_worker_left(base):
    group = cgroups.RunGroup(base, "run-orphan")
    group.create(memory_bytes=64 * 1024 * 1024, processes=8, cpu_cores=1.0)
    cgroups.remove_base(base)
    assert not any(os.path.exists(path) for path in group.dirs.values())
