"""How a worker's report becomes a status (pure; the reports are hand-written)."""

from __future__ import annotations

import signal

import pytest
from hypothesis import given, strategies as st

from calcgrade.grader.sandbox.interpret import interpret
from calcgrade.grader.sandbox.limits import Limits

LIMITS = Limits(wall_seconds=20, cpu_seconds=1, memory_bytes=512 * 1024 * 1024)
PAYLOAD = {"answers": {"x": 1.5}, "functions": {}, "cell_errors": [], "memory_error": False}


@given(cpu=st.floats(min_value=0.0, max_value=1.5))
def test_sigxcpu_is_a_cpu_timeout_whatever_the_usage_read_afterwards(cpu):
    # RLIMIT_CPU is checked at the scheduler tick: the usage read after the kill can be
    # a little below the limit.
    result = interpret({"signal": int(signal.SIGXCPU), "cpu_seconds": cpu, "payload": None},
                       LIMITS)
    assert result.status == "timeout" and "CPU" in result.reason


def test_the_workers_cpu_watch_is_a_timeout():
    result = interpret({"killed": "cpu", "signal": int(signal.SIGKILL), "cpu_seconds": 0.2,
                        "payload": None}, LIMITS)
    assert result.status == "timeout" and "1 s of CPU" in result.reason


@pytest.mark.parametrize("cpu, status", [(2.01, "timeout"), (1.0, "timeout"), (0.3, "crashed")])
def test_sigkill_is_a_cpu_timeout_only_past_the_cpu_limit(cpu, status):
    result = interpret({"signal": int(signal.SIGKILL), "cpu_seconds": cpu, "payload": None},
                       LIMITS)
    assert result.status == status


def test_a_memory_cgroup_kill_of_the_notebook_is_a_memory_status():
    result = interpret({"signal": int(signal.SIGKILL), "cpu_seconds": 0.3, "oom_kills": 1,
                        "payload": None}, LIMITS, ["x"])
    assert result.status == "memory" and "512 MiB" in result.reason
    assert result.answers == {}


def test_a_memory_cgroup_kill_of_a_helper_process_keeps_the_answers():
    result = interpret({"exit_code": 0, "oom_kills": 2, "payload": PAYLOAD}, LIMITS, ["x"])
    assert result.status == "memory" and result.answers == {"x": 1.5}


def test_the_wall_clock_wins_over_everything():
    result = interpret({"killed": "wall", "signal": int(signal.SIGKILL), "oom_kills": 1,
                        "payload": None}, LIMITS)
    assert result.status == "timeout" and "wall clock" in result.reason


def test_a_memory_kill_after_much_cpu_is_still_a_memory_status():
    result = interpret({"signal": int(signal.SIGKILL), "cpu_seconds": 5.0, "oom_kills": 1,
                        "payload": None}, LIMITS)
    assert result.status == "memory"
