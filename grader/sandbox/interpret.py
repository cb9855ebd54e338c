"""Turn a worker's report into an :class:`ExecutionResult` (pure, no I/O).

The report comes from the worker; its payload from the child, where student code
ran. Everything in the payload is checked for shape here and only the requested
names are kept, so a submission cannot add answers or smuggle anything but plain
data. The statuses (see :mod:`~calcgrade.grader.sandbox.result`)
are decided in this order: killed for the wall clock -> ``timeout``; killed for the
output -> ``output_limit``; stopped at the CPU limit (the worker's watch of the
cgroup's CPU time, ``SIGXCPU`` from ``RLIMIT_CPU``, or ``SIGKILL`` past its hard
limit) -> ``timeout``; a process killed by the memory cgroup, or a MemoryError ->
``memory``; no usable payload -> ``crashed``; a sandbox failure -> ``crashed``; else
``ok``.

>>> from calcgrade.grader.sandbox.limits import Limits
>>> report = {"killed": None, "signal": 11, "payload": None, "output": "", "seconds": 0.1}
>>> result = interpret(report, Limits())
>>> result.status, result.reason
('crashed', "the notebook's process was killed by SIGSEGV")
>>> interpret({"signal": 24, "cpu_seconds": 0.93, "payload": None}, Limits(cpu_seconds=1)).status
'timeout'
"""

from __future__ import annotations

import signal

from calcgrade.grader.sandbox.convert import ERROR, MISSING, clean_text, marker
from calcgrade.grader.sandbox.limits import Limits
from calcgrade.grader.sandbox.result import (CRASHED, MEMORY, OK, OUTPUT_LIMIT, TIMEOUT,
                                             ExecutionResult)


def timeout_reason(limits: Limits) -> str:
    return (f"the notebook ran longer than {limits.wall_seconds:g} s (wall clock) and was "
            f"stopped; look for an infinite loop or a very slow cell")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def interpret(reply: dict, limits: Limits, answers=(), functions=None) -> ExecutionResult:
    """Turn a worker's ``result`` message into an ExecutionResult (pure; no I/O).

    The payload comes from the child, where student code ran: everything in it is
    checked for shape here, and only the requested names are kept.
    """
    functions = functions or {}
    payload = reply.get("payload")
    payload = payload if type(payload) is dict else None
    isolation = reply.get("isolation") if type(reply.get("isolation")) is dict else {}
    if payload is not None and type(payload.get("isolation")) is dict:
        # The worker's account wins: the child's could have been edited by student code.
        isolation = {**payload["isolation"], **isolation}
    output = reply.get("output") if type(reply.get("output")) is str else ""
    seconds = reply.get("seconds") if type(reply.get("seconds")) in (int, float) else 0.0
    common = {"stdout": output[-limits.output_tail:], "seconds": float(seconds),
              "network_isolated": bool(isolation.get("network")),
              "isolation": _plain_isolation(isolation)}
    killed = reply.get("killed")
    number = reply.get("signal")
    cpu = reply.get("cpu_seconds") if type(reply.get("cpu_seconds")) in (int, float) else 0.0
    oom_kills = reply.get("oom_kills") if type(reply.get("oom_kills")) is int else 0
    if killed == "wall":
        return ExecutionResult(TIMEOUT, reason=timeout_reason(limits), **common)
    if killed == "output":
        return ExecutionResult(OUTPUT_LIMIT, reason=(
            f"the notebook printed more than {_mib(limits.output_bytes)} of output and was "
            f"stopped; remove large or repeated prints"), **common)
    if _cpu_limit_reached(killed, number, cpu, limits, oom_kills):
        return ExecutionResult(TIMEOUT, reason=(
            f"the notebook used more than {limits.cpu_seconds} s of CPU time and was stopped"),
            **common)
    if oom_kills and (payload is None or payload.get("memory_error") is not True):
        who = "the notebook's process" if payload is None else "one of the notebook's processes"
        tree_reason = (f"{who} was stopped: the notebook and every process it started "
                       f"together used more than {_mib(limits.memory_bytes)} of memory "
                       f"(files written in its folders count too)")
        if payload is None:
            return ExecutionResult(MEMORY, reason=tree_reason, **common)
        return ExecutionResult(MEMORY, reason=tree_reason, cell_errors=_cell_errors(
            payload.get("cell_errors")), answers=_answers(payload.get("answers"), answers),
            function_results=_function_results(payload.get("functions"), functions), **common)
    if payload is None:
        if number is not None:
            reason = f"the notebook's process was killed by {_signal_name(number)}"
        elif reply.get("payload_error"):
            reason = f"the notebook's process sent an unreadable result ({reply['payload_error']})"
        else:
            reason = (f"the notebook's process exited (code {reply.get('exit_code')}) before "
                      f"reporting; does it call os._exit() or kill itself?")
        return ExecutionResult(CRASHED, reason=reason, **common)
    cell_errors = _cell_errors(payload.get("cell_errors"))
    found_answers = _answers(payload.get("answers"), answers)
    found_functions = _function_results(payload.get("functions"), functions)
    data = {"answers": found_answers, "function_results": found_functions,
            "cell_errors": cell_errors, **common}
    if payload.get("memory_error") is True:
        where = next((f" in cell {e['cell']}" for e in cell_errors if "MemoryError" in e["name"]), "")
        return ExecutionResult(MEMORY, reason=(
            f"the notebook ran out of memory{where} (limit {_mib(limits.memory_bytes)})"), **data)
    if type(payload.get("fatal")) is str:
        return ExecutionResult(CRASHED, reason=clean_text(payload["fatal"], 500), **data)
    return ExecutionResult(OK, **data)


def _cpu_limit_reached(killed, number, cpu: float, limits: Limits, oom_kills: int = 0) -> bool:
    """Stopped for CPU time: by the worker (whole tree), by ``SIGXCPU`` (only
    ``RLIMIT_CPU`` sends it; its accounting is tick-based, so the usage read afterwards
    may be slightly below the limit), or by ``SIGKILL`` past the hard limit (one second
    above the soft one, reached only when ``SIGXCPU`` was ignored) when the memory
    limit killed nobody."""
    if killed == "cpu" or number == signal.SIGXCPU:
        return True
    return number == signal.SIGKILL and cpu >= limits.cpu_seconds and not oom_kills


def _plain_isolation(isolation: dict) -> dict:
    keep = {}
    for key, value in isolation.items():
        if type(key) is str and (value is None or type(value) in (bool, int, str)):
            keep[key] = value
        elif type(key) is str and type(value) is list:
            keep[key] = [str(v) for v in value]
    return keep


def _cell_errors(raw) -> list[dict]:
    errors = []
    for item in raw if type(raw) is list else []:
        if type(item) is dict and type(item.get("cell")) is int:
            errors.append({"cell": item["cell"],
                           "name": clean_text(str(item.get("name", "")), 200),
                           "message": clean_text(str(item.get("message", "")), 500)})
    return errors


def _answers(raw, names) -> dict:
    raw = raw if type(raw) is dict else {}
    return {name: raw.get(name, marker(MISSING)) for name in names}


def _function_results(raw, functions: dict) -> dict:
    raw = raw if type(raw) is dict else {}
    out = {}
    for name, inputs in functions.items():
        values = raw.get(name)
        values = values if type(values) is list else []
        missing = marker(ERROR, error="SandboxError", message="no result")
        out[name] = [values[i] if i < len(values) else missing for i in range(len(inputs))]
    return out
