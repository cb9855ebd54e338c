"""Cgroups for a submission's whole process tree: detection, a group on the real
hierarchy (when this machine lets the tests manage cgroups), clean removal."""

from __future__ import annotations

import os
import shutil
import signal
import uuid

import pytest

from calcgrade.grader.sandbox import cgroups

MiB = 1024 * 1024


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


def test_cpuacct_mounted_with_cpu_is_left_out(tmp_path):
    for name in ("memory", "pids", "cpu,cpuacct"):
        (tmp_path / name).mkdir()
    mounts = [("cgroup", str(tmp_path / name), "/", f"rw,{name}")
              for name in ("memory", "pids", "cpu,cpuacct")]
    made = cgroups.create_base("calcgrade-y", mounts=mounts,
                               own={"memory": "/", "pids": "/", "cpu": "/", "cpuacct": "/"})
    try:
        assert sorted(made["dirs"]) == ["memory", "pids"]
        assert cgroups.describe(made)["cpu_limit"] == "per process (rlimit)"
    finally:
        for path in made.get("dirs", {}).values():
            shutil.rmtree(path)  # plain folders standing in for the hierarchies


def _child_in(group: cgroups.Group, megabytes: int, spin_seconds: float = 0.0) -> int:
    """Fork a child that joins ``group``, touches ``megabytes`` and spins; its exit status."""
    pid = os.fork()
    if pid == 0:
        try:
            group.join()
            cgroups.expose_to_oom()
            block = bytearray(b"x") * (megabytes * MiB)
            import time
            end = time.process_time() + spin_seconds
            while time.process_time() < end:
                pass
            del block
        finally:
            os._exit(0)
    return os.waitpid(pid, 0)[1]


def test_a_group_limits_memory_and_accounts_cpu(base):
    group = cgroups.Group(base, "test-1")
    group.create(memory_bytes=64 * MiB, processes=8)
    assert group.active
    assert _child_in(group, 16, spin_seconds=0.2) == 0
    if "cpuacct" in group.dirs or group.version == 2:
        assert group.cpu_seconds() >= 0.2
    assert group.oom_kills() == 0 and group.peak_bytes() >= 16 * MiB
    status = _child_in(group, 256)  # four times the limit: the OOM killer stops it
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert group.oom_kills() >= 1
    assert group.remove() and not any(os.path.exists(p) for p in group.dirs.values())


def test_a_run_budget_counts_only_its_own_run(base):
    group = cgroups.Group(base, "test-2")
    group.create(memory_bytes=1024 * MiB, processes=64)
    _child_in(group, 200)  # an earlier run
    assert group.oom_kills() == 0
    budget = cgroups.RunBudget(group, memory_bytes=64 * MiB, processes=8)
    assert budget.report()["oom_kills"] == 0
    status = _child_in(group, 256)
    assert os.WIFSIGNALED(status) and budget.report()["oom_kills"] == 1
    later = cgroups.RunBudget(group, memory_bytes=512 * MiB, processes=8)
    assert _child_in(group, 128) == 0 and later.report()["oom_kills"] == 0
    assert later.report()["memory_peak"] >= 128 * MiB
    group.remove()


def test_removing_kills_what_is_left_in_the_group(base):
    group = cgroups.Group(base, "test-3")
    group.create(memory_bytes=64 * MiB, processes=8)
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
    group = cgroups.Group(base, "worker-orphan")
    group.create(memory_bytes=64 * MiB, processes=8)
    cgroups.remove_base(base)
    assert not any(os.path.exists(path) for path in group.dirs.values())


def test_the_process_count_includes_exited_but_unreaped_processes(base):
    # The worker skips the reaper's sweep when it is alone in its group: that is only
    # safe if a leftover counts until it is reaped.
    group = cgroups.Group(base, "test-4")
    group.create(memory_bytes=64 * MiB, processes=8)
    assert group.processes() == 0
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        group.join()
        os.write(write_end, b"in")
        os._exit(0)
    assert os.read(read_end, 2) == b"in"
    os.close(read_end)
    os.close(write_end)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
    assert group.processes() == 1
    os.waitpid(pid, 0)
    assert group.processes() == 0
    assert group.remove()
