"""The sandbox on a Dask cluster: warm pools on Dask workers, marking stays here.

``calcgrade grade --scheduler ADDRESS`` or ``--cluster local:N`` runs submissions on the
workers of a ``dask.distributed`` cluster instead of this machine's sandbox pool:

- :class:`SandboxPlugin`, a ``distributed.WorkerPlugin``, starts one warm
  :class:`~calcgrade.grader.sandbox.SandboxExecutor` per Dask worker (one sandbox
  process per worker thread) when the worker joins, and stops it when the worker leaves;
- :func:`run_on_worker`, the task, receives one notebook's code cells, the answer
  names and the function test inputs (plain data, :func:`request_payload`) and returns
  only the :class:`~calcgrade.grader.sandbox.ExecutionResult` as JSON text;
- :class:`DaskSandbox`, in the grading process, has the interface ``grade`` uses of a
  local pool (``launch``, ``start``, ``run``, ``close``, ``size``); its ``size`` is two
  per worker thread, so that each worker has one submission queued behind the running
  one, and ``grade`` keeps at most ``2 × size`` in flight (the bounded window).

:class:`DaskCluster` (also what ``calcgrade generate --scheduler/--cluster`` renders
with, see :mod:`calcgrade.grader.generation.dask_render`) first checks the cluster
(:func:`check_cluster`): Dask's scheduler unpickles every task, so it needs calcgrade as
the workers do, in the same version as this machine's.

The course secret, the reference answers and the marking never leave the grading
process: a worker sees what a local sandbox worker sees. A worker that dies mid-run
loses nothing: the scheduler runs its submissions elsewhere. A submission that was
running on ``tries`` workers that all died gets the status ``crashed`` (the scheduler's
``allowed-failures`` is set to ``tries - 1`` for a local cluster; a remote scheduler
uses its own setting, and the grading process resubmits at most ``tries`` times).

Dask's own messages between the grading process, the scheduler and the workers may carry
pickled objects (task errors, for one): the scheduler and the workers must be machines of
the course, on a private network or behind Dask's TLS. Student code never runs in a Dask
worker's process, only in its sandbox children, as it does on one machine.

This module imports ``distributed``: it is imported only when a Dask option is given.

>>> from calcgrade.grader.sandbox import Submission
>>> payload = request_payload(Submission("a.ipynb", "{}", ((1, "x = 2"),)), ["x"], {})
>>> payload["cells"], payload["answers"]
([[1, 'x = 2']], ['x'])
>>> parse_cluster("local:3"), parse_cluster("tcp://10.0.0.5:8786")
(3, None)
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import CancelledError
from typing import Callable

import distributed
from distributed import WorkerPlugin

from calcgrade.core.errors import UsageError
from calcgrade.grader.sandbox.executor import SandboxError, SandboxExecutor
from calcgrade.grader.sandbox.limits import Limits
from calcgrade.grader.sandbox.result import CRASHED, ExecutionResult
from calcgrade.grader.sandbox.submission import (InvalidSubmission, Submission, check_request,
                                                 load_submission)

PLUGIN = "calcgrade-sandbox"
TRIES = 3
WINDOW_PER_THREAD = 2
CONNECT_SECONDS = 10.0
PROBE_SECONDS = 120.0  # a worker's first task imports calcgrade


def parse_cluster(text: str) -> int | None:
    """The worker count of ``local:N``; None for anything else (a scheduler address)."""
    if not text.startswith("local:"):
        return None
    count = text[len("local:"):]
    if not count.isdigit() or not 1 <= int(count) <= 256:
        raise UsageError(f"--cluster takes local:N with N a whole number from 1 to 256, "
                         f"not {text!r}")
    return int(count)


def request_payload(submission: Submission, answers, functions) -> dict:
    """What travels to a worker for one submission: plain data, no secret, no reference."""
    answers, functions = check_request(answers, functions)
    return {"name": submission.name, "cells": [[index, source] for index, source in
                                               submission.code_cells],
            "answers": answers, "functions": functions}


class SandboxPlugin(WorkerPlugin):
    """Start a warm sandbox pool on each Dask worker (one process per worker thread)."""

    name = PLUGIN

    def __init__(self, limits: dict, isolate: bool = True):
        self.limits = dict(limits)
        self.isolate = isolate
        self.executor: SandboxExecutor | None = None

    def setup(self, worker) -> None:
        slots = max(1, worker.state.nthreads)
        self.executor = SandboxExecutor(slots, Limits.from_dict(self.limits),
                                        isolate=self.isolate).start()

    def teardown(self, worker) -> None:
        if self.executor is not None:
            self.executor.close()
            self.executor = None


def run_on_worker(payload: dict, limits: dict) -> str:
    """The task: run one submission in this worker's warm pool; the result as JSON text."""
    worker = distributed.get_worker()
    plugin = worker.plugins.get(PLUGIN)
    if plugin is None or plugin.executor is None:
        raise SandboxError(f"the Dask worker {worker.address} has no calcgrade sandbox")
    submission = Submission(payload["name"], "", tuple((index, source) for index, source
                                                       in payload["cells"]))
    result = plugin.executor.run(submission, payload["answers"], payload["functions"],
                                 Limits.from_dict(limits))
    return result.to_json()


def environment() -> dict[str, str]:
    """What a machine of the cluster must share with this one: calcgrade's version and
    Python's (a task, run on the scheduler's workers)."""
    import platform
    from importlib.metadata import version

    return {"calcgrade": version("calcgrade"),
            "python": ".".join(platform.python_version_tuple()[:2])}


def check_cluster(client, address: str) -> None:
    """Refuse a cluster whose scheduler cannot read calcgrade's tasks (Dask's scheduler
    unpickles every task, so it needs calcgrade too) or whose workers run another version
    of calcgrade or Python."""
    fix = ("install calcgrade[dask] in the same version as here on the scheduler's machine "
           "and on every worker")
    try:
        client.submit(environment, pure=False).result(timeout=PROBE_SECONDS)
        found = client.run(environment)
    except Exception as error:  # the scheduler's or a worker's own error, re-raised here
        reason = " ".join(str(error).split())
        reason = reason if len(reason) <= 200 else reason[:199] + "…"
        raise UsageError(f"the Dask scheduler {address} cannot run calcgrade's tasks "
                         f"({type(error).__name__}: {reason}); {fix}") from None
    ours = environment()
    for worker, theirs in sorted(found.items()):
        if theirs != ours:
            differing = ", ".join(f"{name} {theirs.get(name)} there, {value} here"
                                  for name, value in ours.items() if theirs.get(name) != value)
            raise UsageError(f"the Dask worker {worker} has other versions ({differing}): {fix}")


class DaskCluster:
    """A connection to a Dask scheduler (``address``) or a local cluster of ``local``
    worker processes, one thread each; a context manager. :meth:`sandbox` makes the
    grading backend."""

    def __init__(self, address: str | None = None, local: int | None = None,
                 tries: int = TRIES):
        if (address is None) == (local is None):
            raise UsageError("give one of --scheduler ADDRESS or --cluster local:N")
        self.address, self.local, self.tries = address, local, tries
        self.cluster = None
        self.client: distributed.Client | None = None

    def __enter__(self) -> "DaskCluster":
        import dask

        try:
            if self.local is not None:
                with dask.config.set({"distributed.scheduler.allowed-failures": self.tries - 1}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=self.local, threads_per_worker=1, processes=True,
                        dashboard_address=None)
                self.client = distributed.Client(self.cluster)
            else:
                self.client = distributed.Client(self.address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as error:
            self.__exit__()
            raise UsageError(f"cannot reach the Dask scheduler {self.address}: "
                             f"{error}") from None
        try:
            self.client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError):
            self.__exit__()
            raise UsageError(f"the Dask scheduler {self.address} has no worker: start one with "
                             f"'dask worker {self.address}'") from None
        try:
            check_cluster(self.client, self.address or "of the local cluster")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def threads(self) -> int:
        """Worker threads in the cluster now (sandbox processes, one per thread)."""
        return sum(self.client.nthreads().values())

    def sandbox(self, limits: Limits) -> "DaskSandbox":
        """The backend ``grade`` runs submissions with."""
        return DaskSandbox(self.client, limits, self.tries)


class DaskSandbox:
    """``start``/``run``/``close`` of a sandbox pool, on the workers of ``client``.

    ``run`` is thread-safe and blocks until the result is back; ``size`` callers
    at once keep every worker busy with one submission queued behind the running one.
    """

    def __init__(self, client, limits: Limits, tries: int = TRIES, isolate: bool = True):
        self.client = client
        self.limits = limits
        self.tries = tries
        self.isolate = isolate
        self._started = False
        self._lock = threading.Lock()
        self._launched: threading.Thread | None = None
        self._errors: list[BaseException] = []
        self.resubmitted = 0
        self.size = WINDOW_PER_THREAD * max(1, sum(client.nthreads().values()))

    def launch(self) -> "DaskSandbox":
        """Start the sandboxes on the workers in the background; :meth:`start` waits."""
        with self._lock:
            if self._launched is None:
                self._launched = threading.Thread(target=self._start_reporting, daemon=True)
                self._launched.start()
        return self

    def _start_reporting(self) -> None:
        try:
            self._start()
        except BaseException as error:  # re-raised by start() in the caller's thread
            self._errors.append(error)

    def start(self) -> "DaskSandbox":
        """Install the sandbox plugin on every worker (and on workers that join later)."""
        if self._launched is not None:
            self._launched.join()
            if self._errors:
                raise self._errors[0]
            return self
        return self._start()

    def _start(self) -> "DaskSandbox":
        with self._lock:
            if self._started:
                return self
            try:
                self.client.register_plugin(SandboxPlugin(self.limits.to_dict(), self.isolate))
            except Exception as error:  # the worker's own error, re-raised by the client
                raise UsageError(f"the sandbox did not start on a Dask worker "
                                 f"({type(error).__name__}: {error}); check that calcgrade[dask] "
                                 "is installed there in the same version") from None
            self._started = True
        return self

    def close(self) -> None:
        """Stop the sandbox pools on the workers (the cluster itself stays)."""
        with self._lock:
            if self._started:
                try:
                    self.client.unregister_worker_plugin(PLUGIN)
                except Exception:  # a closing or lost cluster: its workers go anyway
                    pass
                self._started = False

    def __enter__(self) -> "DaskSandbox":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def run(self, notebook, answers=(), functions=None, limits: Limits | None = None
            ) -> ExecutionResult:
        """Run one notebook (a path or a :class:`Submission`) on a Dask worker."""
        limits = limits or self.limits
        try:
            submission = notebook if isinstance(notebook, Submission) else \
                load_submission(notebook, limits.notebook_bytes)
        except InvalidSubmission as error:
            return ExecutionResult.invalid(error.reason)
        payload = request_payload(submission, answers, functions)
        return self._submit(payload, limits.to_dict())

    def _submit(self, payload: dict, limits: dict,
                task: Callable[[dict, dict], str] = run_on_worker) -> ExecutionResult:
        """Submit, wait, resubmit when the cluster lost the task; at most ``tries`` times."""
        last = ""
        for attempt in range(self.tries):
            if attempt:
                self.resubmitted += 1
            future = self.client.submit(task, payload, limits, pure=False,
                                        key=f"calcgrade-run-{uuid.uuid4().hex}")
            try:
                reply = future.result()
                if type(reply) is not str:
                    raise SandboxError("a Dask worker replied with something else than JSON")
                return ExecutionResult.from_json(reply)
            except distributed.KilledWorker:
                return ExecutionResult(CRASHED, reason="the grading worker died each time it "
                                       "ran this notebook")
            except (CancelledError, OSError, TimeoutError) as error:
                last = type(error).__name__
            except SandboxError as error:
                last = str(error)
            finally:
                future.release()
        return ExecutionResult(CRASHED, reason=f"the Dask cluster could not run this notebook "
                               f"in {self.tries} tries ({last})")
