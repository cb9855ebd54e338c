"""Resource limits of one sandboxed submission, and applying them in the child.

A :class:`Limits` is plain data: it travels to the worker inside each request
(:meth:`Limits.to_dict`) and the child applies the kernel part with
:func:`apply_rlimits` right before running student code.

>>> limits = Limits(wall_seconds=5)
>>> limits.cpu_seconds, limits.memory_bytes == 2 * 1024 ** 3
(5, True)
>>> Limits.from_dict(limits.to_dict()) == limits
True
>>> Limits(memory_bytes=0)
Traceback (most recent call last):
...
ValueError: Limits.memory_bytes must be positive, got 0
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Limits:
    """Per-submission limits (all positive).

    - ``wall_seconds``: wall clock for the whole submission (cells, answers, function
      calls); on expiry the process group is killed and the status is ``timeout``.
    - ``cpu_seconds``: CPU time of the whole submission (all its processes, through
      the cgroup's accounting) and ``RLIMIT_CPU`` of each process; defaults to
      ``ceil(wall_seconds)``. Reaching it is a ``timeout``.
    - ``memory_bytes``: memory of the whole submission (every process, and the files
      it writes in its private tmpfs) through a memory cgroup, and ``RLIMIT_AS``
      (address space) of each process; reaching it is a ``memory`` status.
    - ``processes``: processes and threads of the whole submission (cgroup ``pids``),
      and ``RLIMIT_NPROC`` of the sandbox user (a root grader gives each worker its
      own uid) or, for an ordinary user, of the worker's user namespace.
    - ``file_bytes``: ``RLIMIT_FSIZE``, largest file the submission may write.
    - ``disk_bytes``: size of each private tmpfs (``/work``, ``/tmp``, ``/dev/shm``)
      when the private filesystem is available; their pages also count as memory.
    - ``open_files``: ``RLIMIT_NOFILE``.
    - ``output_bytes``: total stdout+stderr; beyond it the submission is killed and the
      status is ``output_limit``.
    - ``output_tail``: characters of output kept in the result.
    - ``result_bytes``: largest result message (converted answers) the child may send.
    - ``call_seconds``: budget for each function-answer call and each answer conversion.
    - ``notebook_bytes``: largest notebook file accepted (larger ones are ``invalid``).
    """

    wall_seconds: float = 60.0
    cpu_seconds: int | None = None
    memory_bytes: int = 2 * GiB
    processes: int = 32
    file_bytes: int = 64 * MiB
    disk_bytes: int = 128 * MiB
    open_files: int = 256
    output_bytes: int = 4 * MiB
    output_tail: int = 10_000
    result_bytes: int = 1 * MiB
    call_seconds: float = 2.0
    notebook_bytes: int = 16 * MiB

    def __post_init__(self):
        if self.cpu_seconds is None:
            object.__setattr__(self, "cpu_seconds", max(1, math.ceil(self.wall_seconds)))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Limits.{field.name} must be a number, got {value!r}")
            if not value > 0 or not math.isfinite(value):
                raise ValueError(f"Limits.{field.name} must be positive, got {value!r}")

    def to_dict(self) -> dict:
        """Plain JSON data (every field is a number)."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict) -> "Limits":
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        unknown = sorted(set(data) - set(_FIELD_NAMES))
        if unknown:
            raise ValueError(f"unknown limit(s): {', '.join(unknown)}")
        return cls(**data)

    def replace(self, **changes) -> "Limits":
        """A copy with some fields changed (``cpu_seconds`` follows a new wall clock)."""
        if "wall_seconds" in changes and "cpu_seconds" not in changes:
            changes["cpu_seconds"] = None
        return dataclasses.replace(self, **changes)


_FIELD_NAMES = tuple(field.name for field in dataclasses.fields(Limits))


def apply_rlimits(limits: Limits) -> list[str]:
    """Lower this process's resource limits (child side); returns the ones that failed.

    Only lowers: a limit already below the requested value is kept. ``RLIMIT_CPU``
    gets a hard limit one second above the soft one, so the kernel sends ``SIGXCPU``
    first and ``SIGKILL`` if that is ignored.
    """
    import resource

    wanted = [
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_CPU", int(limits.cpu_seconds), int(limits.cpu_seconds) + 1),
        ("RLIMIT_AS", int(limits.memory_bytes), int(limits.memory_bytes)),
        ("RLIMIT_NPROC", int(limits.processes), int(limits.processes)),
        ("RLIMIT_FSIZE", int(limits.file_bytes), int(limits.file_bytes)),
        ("RLIMIT_NOFILE", int(limits.open_files), int(limits.open_files)),
    ]
    failed = []
    for name, soft, hard in wanted:
        which = getattr(resource, name, None)
        if which is None:
            failed.append(name)
            continue
        try:
            old_soft, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                hard = min(hard, old_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        except (OSError, ValueError):
            failed.append(name)
    return failed
