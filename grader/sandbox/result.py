"""What running one submission produced: :class:`ExecutionResult`.

``status`` is one of :data:`STATUSES`:

- ``ok``: every code cell ran (cells that raised are listed in ``cell_errors``, they do
  not change the status) and the answers were extracted;
- ``memory``: a cell (or the extraction) ran out of memory; the answers extracted
  after the remaining cells ran are still reported;
- ``timeout``: the wall clock or CPU limit was reached; no answers;
- ``output_limit``: the submission printed more than allowed; no answers;
- ``crashed``: the process died without reporting (a signal, ``os._exit``, a corrupted
  result); no answers;
- ``invalid``: not a readable notebook; nothing ran.

Answers and function results are plain JSON data with markers
(:mod:`calcgrade.grader.sandbox.convert`).

>>> result = ExecutionResult("ok", answers={"x": 1.5}, seconds=0.03)
>>> result.ok, result.answers["x"]
(True, 1.5)
>>> ExecutionResult.from_json(result.to_json()) == result
True
>>> ExecutionResult("bogus")
Traceback (most recent call last):
...
ValueError: unknown status 'bogus'
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

OK = "ok"
TIMEOUT = "timeout"
CRASHED = "crashed"
MEMORY = "memory"
OUTPUT_LIMIT = "output_limit"
INVALID = "invalid"
STATUSES = (OK, TIMEOUT, CRASHED, MEMORY, OUTPUT_LIMIT, INVALID)


@dataclass(frozen=True)
class CellError:
    """A code cell that raised: ``cell`` is its index among all notebook cells."""

    cell: int
    name: str
    message: str


@dataclass(frozen=True)
class ExecutionResult:
    """The outcome of running one notebook in the sandbox.

    - ``reason``: one line for humans when the status is not ``ok`` (or a note);
    - ``answers``: requested name -> converted value or marker;
    - ``function_results``: function name -> one converted result or marker per input;
    - ``cell_errors``: cells that raised, in execution order;
    - ``stdout``: the tail of what the submission printed (stdout and stderr);
    - ``seconds``: wall time the submission ran;
    - ``network_isolated``: whether the submission ran without network access;
    - ``isolation``: what else was isolated: ``filesystem``, ``pids``, ``ipc``,
      ``user_namespace``, ``keyring`` (booleans), ``user`` (the uid it ran as),
      ``workdir``, ``cgroup`` (``"v1"``, ``"v2"`` or False, then
      ``cgroup_unavailable`` says why) and how ``memory_limit``, ``process_limit``
      and ``cpu_limit`` applied (to the whole tree or per process); see SECURITY.md.
    """

    status: str
    reason: str = ""
    answers: dict = field(default_factory=dict)
    function_results: dict = field(default_factory=dict)
    cell_errors: tuple[CellError, ...] = ()
    stdout: str = ""
    seconds: float = 0.0
    network_isolated: bool = False
    isolation: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        object.__setattr__(self, "cell_errors", tuple(
            error if isinstance(error, CellError) else CellError(**error)
            for error in self.cell_errors))

    @property
    def ok(self) -> bool:
        """True when the status is ``ok``."""
        return self.status == OK

    def to_dict(self) -> dict:
        """Plain JSON data."""
        data = asdict(self)
        data["cell_errors"] = [asdict(error) for error in self.cell_errors]
        return data

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys)."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict) -> "ExecutionResult":
        """Inverse of :meth:`to_dict`."""
        return cls(**data)

    @classmethod
    def from_json(cls, text: str) -> "ExecutionResult":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def invalid(cls, reason: str) -> "ExecutionResult":
        """The result for a file that is not a runnable notebook."""
        return cls(INVALID, reason=reason)
