"""Run submitted notebooks in a sandbox and bring their answers back as plain data.

The public interface:

- :class:`SandboxExecutor` — a pool of pre-warmed worker processes; ``run(notebook,
  answers, functions)`` returns an :class:`ExecutionResult`;
- :class:`Limits` — wall clock, CPU, memory, processes, output, result size;
- :class:`ExecutionResult` — status, reason, answers, function results, cell errors,
  output tail, seconds, isolation; statuses ``ok``, ``timeout``, ``crashed``,
  ``memory``, ``output_limit``, ``invalid``;
- markers for values JSON cannot hold (:mod:`.convert`): ``marker_kind``, ``restore``.

Modules, one role each: ``limits`` (limits, rlimits), ``protocol`` (length-prefixed
JSON frames over pipes), ``convert`` (objects to plain data, in the child; markers),
``submission`` (notebook and request validation, in the grader), ``jail``
(namespaces, private root, keyring, privilege drop), ``cgroups`` (limits for the
whole process tree), ``runner`` (the child: cells, answers,
function calls), ``worker`` (the zygote process), ``executor`` (the pool),
``interpret`` (a worker's report -> result), ``result``. The in-process test double
lives with the tests (``tests/grader/sandbox/fake.py``): nothing in the package runs
student code outside a sandbox child.

What is isolated, and what is not, is described in ``executor`` and ``jail``, and in
SECURITY.md.

>>> from calcgrade.grader.sandbox import marker_kind, restore
>>> marker_kind({"$marker": "missing"}), restore([{"$marker": "inf"}, 2.0])
('missing', [inf, 2.0])
"""

import importlib

# Where each public name lives; a module is imported when one of its names is first used,
# so that starting a pool does not wait for what only the child or the marking needs.
_HOMES = {
    "MARKER": "convert", "marker": "convert", "marker_kind": "convert", "restore": "convert",
    "Job": "executor", "SandboxError": "executor", "SandboxExecutor": "executor",
    "Limits": "limits",
    "STATUSES": "result", "CellError": "result", "ExecutionResult": "result",
    "InvalidSubmission": "submission", "Submission": "submission",
    "load_submission": "submission",
}

__all__ = ["MARKER", "STATUSES", "CellError", "ExecutionResult",
           "InvalidSubmission", "Job", "Limits", "SandboxError", "SandboxExecutor",
           "Submission", "load_submission", "marker", "marker_kind", "restore"]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
