"""ExecutionResult and how a worker's report becomes one (no processes needed)."""

from __future__ import annotations

import signal

import pytest

from calcgrade.grader.sandbox.convert import MISSING, marker, marker_kind
from calcgrade.grader.sandbox.interpret import interpret
from calcgrade.grader.sandbox.limits import Limits
from calcgrade.grader.sandbox.result import CellError, ExecutionResult

LIMITS = Limits(wall_seconds=10, output_tail=20)


def reply(**fields):
    base = {"type": "result", "id": 1, "seconds": 0.05, "cpu_seconds": 0.02, "exit_code": 0,
            "signal": None, "killed": None, "output": "", "output_bytes": 0,
            "isolation": {"network": True, "filesystem": True, "pids": True},
            "payload": {"answers": {"x": 1.5}, "functions": {}, "cell_errors": [],
                        "memory_error": False, "isolation": {"user": 12}},
            "payload_error": None}
    base.update(fields)
    return base


def test_a_clean_run_is_ok_and_keeps_only_the_requested_answers():
    result = interpret(reply(payload={"answers": {"x": 1.5, "extra": 2}, "functions": {},
                                      "cell_errors": [], "memory_error": False}),
                       LIMITS, answers=["x", "y"])
    assert result.status == "ok" and result.ok
    assert result.answers == {"x": 1.5, "y": marker(MISSING)}
    assert result.network_isolated is True


def test_function_results_are_padded_to_the_number_of_inputs():
    result = interpret(reply(payload={"answers": {}, "functions": {"f": [1.0]},
                                      "cell_errors": [], "memory_error": False}),
                       LIMITS, functions={"f": [1, 2]})
    assert result.function_results["f"][0] == 1.0
    assert marker_kind(result.function_results["f"][1]) == "error"


@pytest.mark.parametrize("fields, status, words", [
    ({"killed": "wall", "payload": None}, "timeout", "10 s"),
    ({"killed": "output", "payload": None}, "output_limit", "MiB"),
    ({"signal": int(signal.SIGKILL), "cpu_seconds": 10.0, "payload": None}, "timeout", "CPU"),
    ({"signal": int(signal.SIGSEGV), "payload": None}, "crashed", "SIGSEGV"),
    ({"exit_code": 1, "payload": None}, "crashed", "code 1"),
    ({"payload": None, "payload_error": "frame is not valid JSON"}, "crashed", "unreadable"),
    ({"payload": {"answers": {}, "memory_error": True,
                  "cell_errors": [{"cell": 3, "name": "MemoryError", "message": ""}]}},
     "memory", "cell 3"),
    ({"payload": {"fatal": "sandbox error: OSError: boom"}}, "crashed", "boom"),
])
def test_statuses_and_reasons(fields, status, words):
    result = interpret(reply(**fields), LIMITS, answers=["x"])
    assert result.status == status
    assert words in result.reason


def test_malformed_payload_parts_are_dropped_not_trusted():
    payload = {"answers": "nonsense", "functions": [1], "memory_error": "yes",
               "cell_errors": [{"cell": "1"}, {"cell": 2, "name": 5, "message": None}, 7]}
    result = interpret(reply(payload=payload, output="x" * 100), LIMITS, answers=["x"])
    assert result.status == "ok"
    assert result.answers == {"x": marker(MISSING)}
    assert result.cell_errors == (CellError(2, "5", "None"),)
    assert result.stdout == "x" * 20


def test_json_round_trip_and_invalid_constructor():
    result = ExecutionResult("memory", reason="r", answers={"a": [1, 2]},
                             cell_errors=[{"cell": 1, "name": "MemoryError", "message": "m"}],
                             stdout="out", seconds=0.5, network_isolated=True,
                             isolation={"pids": True})
    again = ExecutionResult.from_json(result.to_json())
    assert again == result and again.cell_errors[0].name == "MemoryError"
    assert ExecutionResult.invalid("not JSON").status == "invalid"
