"""The grader's side of the sandbox: a pool of pre-warmed workers.

:class:`SandboxExecutor` starts ``workers`` zygote processes
(:mod:`~calcgrade.grader.sandbox.worker`) as fresh interpreters with a scrubbed
environment (PATH, HOME = a private directory, LANG, PYTHONHASHSEED and thread
settings; never ``CALCGRADE_SECRET`` or anything else of the grader's environment).
:meth:`~SandboxExecutor.run` validates a notebook in the grader (an invalid file never
reaches a worker), hands it to an idle worker and turns the worker's report into an
:class:`~calcgrade.grader.sandbox.result.ExecutionResult`. ``run`` is thread-safe;
:meth:`~SandboxExecutor.run_many` keeps every worker busy. A worker that dies is
restarted; one bad submission never stops the pool.

What a submission gets (Linux, when the kernel grants namespaces, as it does on this
project's machines; ``ExecutionResult.isolation`` records what applied):

- a fresh fork of a worker that never held the secret or any answer, whose
  environment is a short whitelist; nothing of an earlier submission in its memory;
- no network: an empty network namespace, loopback down (``network_isolated``);
- a private root (:mod:`~calcgrade.grader.sandbox.jail`): system directories and the
  Python installation read-only, a writable ``/work`` holding only its copy of the
  notebook and a ``/tmp``, both size-limited tmpfs thrown away afterwards; a
  ``/proc`` showing its own processes only; no view of the grader, the course
  folder or other submissions;
- its own IPC namespace, a user namespace of its own (fresh per-user keyrings) and a
  new anonymous session keyring: no SysV/POSIX IPC object or key of another
  submission or of the grader is reachable, and its own vanish with it;
- an unprivileged uid (when the grader is root: the next of its worker's share of a
  block of uids locked for this pool alone), no capabilities, ``no_new_privs``;
- limits on wall clock (the worker kills), CPU, memory, processes, file size, open
  files and output; with cgroups (:mod:`~calcgrade.grader.sandbox.cgroups`) memory,
  processes and CPU time hold for the whole process tree, otherwise per process;
  everything it started dies with it, and its cgroup is removed.

What is not isolated: the kernel is shared (no seccomp filter, so a kernel exploit
escapes); without cgroups (not root, or a kernel or container without them) memory
and CPU time are only limited per process (``isolation["cgroup"]`` False, with the
reason); world-readable files in the bound system and Python directories are
readable. Where namespaces are refused (some containers), a submission runs in a
host directory with network access and can read whatever its uid may read; the
result then says so (``network_isolated`` False, ``isolation["filesystem"]`` False).
SECURITY.md describes the threat model.
Whatever the child reports about itself could have been forged by student code:
only plain JSON data crosses back, the grader checks its shape, and the worker's
account of the isolation wins over the child's.

>>> import os, tempfile, nbformat
>>> from nbformat.v4 import new_notebook, new_code_cell
>>> folder = tempfile.mkdtemp()
>>> path = os.path.join(folder, "alice.ipynb")
>>> nbformat.write(new_notebook(cells=[
...     new_code_cell("import numpy as np"),
...     new_code_cell("x = np.sqrt(2.0)\\ndef f(z):\\n    return 2 * z")]), path)
>>> with SandboxExecutor(workers=1, limits=Limits(wall_seconds=10)) as sandbox:
...     result = sandbox.run(path, answers=["x", "y"], functions={"f": [1, [1, 2]]})
>>> result.status, result.answers, result.function_results
('ok', {'x': 1.4142135623730951, 'y': {'$marker': 'missing'}}, {'f': [2.0, [2.0, 4.0]]})
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Queue

from calcgrade.grader.sandbox import cgroups, protocol
from calcgrade.grader.sandbox.limits import Limits
from calcgrade.grader.sandbox.result import CRASHED, TIMEOUT, ExecutionResult
from calcgrade.grader.sandbox.submission import (InvalidSubmission, Submission, check_request,
                                                 load_submission)

START_TIMEOUT = 120.0
GRACE_SECONDS = 5.0
SANDBOX_UID_BASE = 2_000_000_000
UID_BLOCK = 1024
UID_BLOCKS = 1_000_000
REPLY_MAX = 64 * 1024 * 1024


class SandboxError(Exception):
    """The sandbox itself cannot work (a worker does not start); not a submission's fault."""


@dataclass(frozen=True)
class Job:
    """One submission to run: the notebook, the variables and functions to extract."""

    notebook: object
    answers: tuple = ()
    functions: dict = field(default_factory=dict)
    limits: Limits | None = None


def _worker_env(home: str) -> dict:
    """The whole environment of a worker: a whitelist, nothing inherited but PATH."""
    env = {
        "PATH": os.environ.get("PATH") or "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONIOENCODING": "utf-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "TMPDIR": home,
        "TERM": "dumb",
    }
    if os.environ.get("PYTHONPATH"):  # only a path list: needed when not installed
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


class _Worker:
    """One zygote process and the pipes to it (used by one thread at a time)."""

    def __init__(self, slot: int, base: str, python: str, isolate: bool,
                 uid: int | None, gid: int | None, cgroup_base: dict | None = None,
                 uid_count: int = 1, uid_lock: str | None = None, prewarm: bool = True):
        self.slot = slot
        self.prewarm = prewarm
        self.uid_count, self.uid_lock = uid_count, uid_lock
        self.cgroup_base = cgroup_base or {"unavailable": "not requested"}
        self.dir = os.path.join(base, f"worker-{slot}")
        self.python = python
        self.isolate = isolate
        self.uid, self.gid = uid, gid
        self.process: subprocess.Popen | None = None
        self.ready: dict = {}
        self.restarts = 0
        self._requests = self._reader = None
        self._count = 0
        self.runs = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self, timeout: float = START_TIMEOUT) -> None:
        self.spawn()
        self.await_ready(timeout)

    def spawn(self) -> None:
        """Start the zygote process; it imports and prepares while the caller works."""
        os.makedirs(self.dir, mode=0o711, exist_ok=True)
        home = os.path.join(self.dir, "home")
        os.makedirs(home, mode=0o700, exist_ok=True)
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        command = [self.python, "-s", "-m", "calcgrade.grader.sandbox.worker",
                   "--requests", str(request_r), "--replies", str(reply_w), "--dir", self.dir]
        if self.uid is not None:
            command += ["--uid", str(self.uid), "--gid", str(self.gid),
                        "--uid-count", str(self.uid_count)]
        if self.uid_lock:
            command += ["--uid-lock", self.uid_lock]
        if not self.isolate:
            command.append("--no-namespaces")
        if not self.prewarm:
            command.append("--lazy")
        command += ["--cgroups", json.dumps(self.cgroup_base)]
        log = open(os.path.join(self.dir, "worker.log"), "ab")
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                pass_fds=(request_r, reply_w), cwd=self.dir, env=_worker_env(home),
                start_new_session=True)
        finally:
            log.close()
            os.close(request_r)
            os.close(reply_w)
        self._requests = request_w
        self._reply_fd = reply_r
        self._reader = protocol.FrameReader(reply_r, REPLY_MAX)

    def await_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait for the zygote's "ready"; SandboxError (and the zygote stopped) if none."""
        try:
            message = self._reader.read(timeout)
        except (TimeoutError, EOFError, protocol.ProtocolError) as error:
            self.stop()
            raise SandboxError(f"sandbox worker {self.slot} did not start ({error}); "
                               f"last log lines: {self._log_tail()}") from None
        if message.get("type") != "ready":
            self.stop()
            raise SandboxError(f"sandbox worker {self.slot} sent {message!r} instead of ready")
        self.ready = message

    def _log_tail(self) -> str:
        try:
            with open(os.path.join(self.dir, "worker.log"), "rb") as handle:
                lines = handle.read()[-2000:].decode("utf-8", "replace").strip().splitlines()
            return " | ".join(lines[-5:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, at_once: bool = False) -> None:
        """Stop the zygote (politely, then by force; ``at_once``: by force, without the
        polite wait) and close the pipes. Either way the zygote is reaped here."""
        process, self.process = self.process, None
        if at_once and process is not None:
            _kill_group(process.pid)
        if self._requests is not None:
            try:
                protocol.write_frame(self._requests, {"type": "stop"})
            except OSError:
                pass
            os.close(self._requests)
            self._requests = None
        if process is not None:
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                process.wait()
        if self._reader is not None:
            os.close(self._reply_fd)
            self._reader = None

    def restart(self) -> None:
        if self.process is not None:
            _kill_group(self.process.pid)
        self.stop()
        self.restarts += 1
        self.start()

    def execute(self, submission: Submission, answers, functions, limits: Limits) -> ExecutionResult:
        """Run one validated submission on this worker."""
        from calcgrade.grader.sandbox.interpret import interpret, timeout_reason

        if not self.alive():
            self.restart()
        self._count += 1
        self.runs += 1
        request = {"type": "run", "id": self._count, "answers": list(answers),
                   "functions": functions, "limits": limits.to_dict()}
        body = protocol.encode_frame({
            "cells": [[index, source] for index, source in submission.code_cells],
            "notebook": {"name": submission.name, "text": submission.text}})
        for attempt in (1, 2):  # a worker that died while idle is restarted, once
            try:
                protocol.write_all(self._requests, protocol.encode_frame(request) + body)
                started = self._reader.read(30.0)
                break
            except (OSError, TimeoutError, EOFError, protocol.ProtocolError) as error:
                self.restart()
                if attempt == 2:
                    return _worker_failed(f"the sandbox worker did not accept the notebook "
                                          f"({error})")
        child = started.get("pid")
        try:
            reply = self._reader.read(limits.wall_seconds + GRACE_SECONDS)
            result_bytes = self._reader.read_chunk(GRACE_SECONDS)
            output_bytes = self._reader.read_chunk(GRACE_SECONDS)
        except TimeoutError:
            # The worker did not stop the child in time: do it here, then restart it.
            if type(child) is int and child > 1:
                _kill_group(child)
            self.restart()
            return ExecutionResult(TIMEOUT, reason=timeout_reason(limits))
        except (EOFError, protocol.ProtocolError, OSError) as error:
            if type(child) is int and child > 1:
                _kill_group(child)
            self.restart()
            return _worker_failed(f"the sandbox worker stopped unexpectedly ({error})")
        if reply.get("type") != "result" or reply.get("id") != request["id"]:
            self.restart()
            return _worker_failed("the sandbox worker sent an unexpected reply")
        reply["output"] = output_bytes.decode("utf-8", "replace")
        reply["payload"], reply["payload_error"] = None, None
        if reply.get("result_overflow"):
            reply["payload_error"] = f"result larger than {limits.result_bytes} bytes"
        elif result_bytes:
            try:
                reply["payload"] = protocol.decode_untrusted(result_bytes, limits.result_bytes)
            except protocol.ProtocolError as error:
                reply["payload_error"] = str(error)
        return interpret(reply, limits, answers, functions)


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _worker_failed(reason: str) -> ExecutionResult:
    return ExecutionResult(CRASHED, reason=reason)


def uids_mapped(start: int, count: int, uid_map: str = "/proc/self/uid_map") -> bool:
    """Whether uids ``start .. start + count - 1`` exist in this user namespace."""
    try:
        with open(uid_map) as handle:
            ranges = [tuple(int(part) for part in line.split()) for line in handle if line.strip()]
    except (OSError, ValueError):
        return False
    return any(inside <= start and start + count <= inside + length
               for inside, _, length in ranges)


def _lock_folder() -> str:
    return "/run/lock" if os.path.isdir("/run/lock") and os.access("/run/lock", os.W_OK) \
        else tempfile.gettempdir()


class UidBlock:
    """A block of ``UID_BLOCK`` sandbox uids held by one executor through a lock file.

    The lock (``flock`` on ``calcgrade-uids-<start>.lock`` in ``/run/lock`` or the temp
    folder) lives as long as the executor; a second executor, in this process or
    another, picks another block. The file is removed on release.
    """

    def __init__(self, start: int, fd: int, path: str):
        self.start, self._fd, self.path = start, fd, path

    @classmethod
    def acquire(cls, start: int | None = None, count: int = 1,
                folder: str | None = None) -> "UidBlock":
        """Lock ``start`` (explicit) or a random free block; SandboxError if none."""
        folder = folder or _lock_folder()
        tries = [start] if start is not None else \
            [SANDBOX_UID_BASE + UID_BLOCK * secrets.randbelow(UID_BLOCKS) for _ in range(64)]
        for candidate in tries:
            block = cls._try(candidate, folder)
            if block is not None:
                return block
        raise SandboxError(f"no free block of sandbox uids (tried {tries[0]}"
                           f"{' and others' if len(tries) > 1 else ''}; another grader holds it)")

    @classmethod
    def _try(cls, start: int, folder: str) -> "UidBlock | None":
        path = os.path.join(folder, f"calcgrade-uids-{start}.lock")
        for _ in range(3):  # the file may be removed under us by its releasing owner
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return None
            try:
                same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                return cls(start, fd, path)
            os.close(fd)
        return None

    def release(self) -> None:
        """Remove the lock file and unlock (in that order: no one locks a stale file)."""
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def pool_for(submissions: int, workers: int, limits: Limits | None = None,
             **options) -> "SandboxExecutor":
    """The pool for ``submissions`` notebooks: no more workers than notebooks, and
    pre-warmed only when a worker runs several (warming up costs a worker once what a
    child that needs it would pay itself; with one notebook per worker it is paid at
    most once either way, and only when the notebook needs it).

    >>> [(pool.size, pool.prewarm) for pool in (pool_for(1, 2), pool_for(2, 2), pool_for(500, 2))]
    [(1, False), (2, False), (2, True)]
    """
    size = max(1, min(workers, submissions))
    return SandboxExecutor(workers=size, limits=limits, prewarm=submissions > size, **options)


class SandboxExecutor:
    """A pool of sandbox workers; use as a context manager (or ``start``/``close``).

    - ``workers``: number of zygote processes (one submission each at a time);
    - ``limits``: default :class:`Limits` (each ``run`` may pass its own);
    - ``isolate``: use namespaces (network, private filesystem, pids) when the kernel
      allows; ``False`` only forks (resource limits and, as root, the uid drop stay);
    - ``sandbox_uid``: when the grader runs as root, submissions run as unprivileged
      uids (gid = uid). The default is a random block of 1024 ids no real account uses
      (from 2,000,000,000 on), locked for this executor with a lock file
      (:class:`UidBlock`), so that two graders running at once never share a uid; each
      worker gets an equal share of the block and its submissions take the uids of
      its share in turn (a uid comes back after ``1024 // workers`` runs of that
      worker), so the per-user process limit counts only that run's processes. An
      explicit ``sandbox_uid`` gives worker ``k`` the single uid ``sandbox_uid + k``
      and is locked the same way (``SandboxError`` if another pool holds it);
    - ``cgroups``: give each submission its own cgroup (when the grader may: root and
      the controllers available); ``False`` keeps per-process limits only;
    - ``python``: interpreter for the workers (default: this one);
    - ``prewarm``: each worker imports sympy and warms its shell up before its first
      submission, so that its children start warm (the right choice when a worker runs
      many submissions); ``False`` leaves that to the children that need it, which
      makes a pool that runs one submission per worker ready sooner
      (:func:`pool_for` chooses).
    """

    def __init__(self, workers: int = 2, limits: Limits | None = None, *, isolate: bool = True,
                 sandbox_uid: int | None = None, python: str | None = None,
                 cgroups: bool = True, prewarm: bool = True):
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.limits = limits or Limits()
        self.size = workers
        self.isolate = isolate
        if workers > UID_BLOCK or (sandbox_uid is not None and
                                   not 0 < sandbox_uid <= 4_000_000_000 - workers):
            raise ValueError("sandbox_uid must leave room for one uid per worker")
        self._requested_uid = sandbox_uid
        self.sandbox_uid = sandbox_uid
        self.use_cgroups = cgroups
        self.python = python or sys.executable
        self.prewarm = prewarm
        self._launched: list[_Worker] = []
        self._workers: list[_Worker] = []
        self._idle: Queue = Queue()
        self._base: str | None = None
        self._uids: UidBlock | None = None
        self._cgroup_base: dict = {"unavailable": "not requested"}
        self._lock = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------

    def launch(self) -> "SandboxExecutor":
        """Start the worker processes and return at once: they import and prepare while
        the caller does its own work. :meth:`start` (or the first :meth:`run`) waits for
        them; SandboxError if the pool's uids or a process cannot be had."""
        with self._lock:
            if self._launched:
                return self
            root = os.geteuid() == 0
            if root:
                self._uids = UidBlock.acquire(self._requested_uid, self.size)
                self.sandbox_uid = self._uids.start
                # Root of a user namespace that does not map the block (a container,
                # bubblewrap) cannot switch to it: submissions keep its uid there.
                root = uids_mapped(self.sandbox_uid, self.size)
            self._base = tempfile.mkdtemp(prefix="calcgrade-sandbox-")
            os.chmod(self._base, 0o711)
            if self.use_cgroups:
                self._cgroup_base = cgroups.create_base(os.path.basename(self._base))
            share = UID_BLOCK // self.size if self._requested_uid is None else 1
            workers = [_Worker(slot, self._base, self.python, self.isolate,
                               self.sandbox_uid + share * slot if root else None,
                               self.sandbox_uid + share * slot if root else None,
                               self._cgroup_base, share, self.uid_lock, self.prewarm)
                       for slot in range(self.size)]
            try:
                for worker in workers:
                    worker.spawn()
            except OSError as error:
                for worker in workers:
                    worker.stop(at_once=True)
                self._release()
                raise SandboxError(f"cannot start a sandbox worker: {error}") from None
            self._launched = workers
        return self

    def start(self) -> "SandboxExecutor":
        """Start the workers (in parallel) and wait until every one is ready; raises
        SandboxError if one cannot start."""
        self.launch()
        with self._lock:
            if self._workers or not self._launched:
                return self
            workers = self._launched
            errors = []
            for worker in workers:  # they boot side by side: this waits for the slowest
                try:
                    worker.await_ready()
                except SandboxError as error:
                    errors.append(error)
            if errors:
                for worker in workers:
                    worker.stop(at_once=True)
                self._launched = []
                self._release()
                raise errors[0]
            self._workers = workers
            for worker in workers:
                self._idle.put(worker)
        return self

    def close(self) -> None:
        """Stop every worker at once and remove the private directories.

        Whatever was asked of the pool is answered by then, so the workers are not
        asked to wind down: each one's process group is killed and the process reaped
        (its waiting child and the pid namespace's reaper die with it; the pool's
        cgroups are emptied and removed), which leaves no process behind and does not
        keep the caller waiting for interpreters to shut down.
        """
        with self._lock:
            workers = self._launched
            self._workers, self._launched = [], []
            for worker in workers:
                worker.stop(at_once=True)
            self._idle = Queue()
            self._release()

    def _release(self) -> None:
        """Remove the cgroups, the private directories and the uid lock of the pool."""
        cgroups.remove_base(self._cgroup_base)
        self._cgroup_base = {"unavailable": "not requested"}
        if self._base:
            shutil.rmtree(self._base, ignore_errors=True)
            self._base = None
        if self._uids is not None:
            self._uids.release()
            self._uids = None

    def __enter__(self) -> "SandboxExecutor":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- information ----------------------------------------------------------------------

    @property
    def isolation(self) -> dict:
        """What the first worker's probe achieved (``network``, ``filesystem``, ``pids``)."""
        return dict(self._workers[0].ready.get("isolation", {})) if self._workers else {}

    @property
    def versions(self) -> dict:
        """Library versions the first worker reports (None for one it has not imported)."""
        return dict(self._workers[0].ready.get("versions", {})) if self._workers else {}

    @property
    def directory(self) -> str | None:
        """The pool's private folder on the host (removed on close)."""
        return self._base

    @property
    def cgroup_base(self) -> dict:
        """The pool's cgroup base (``{"version", "dirs"}``), or why there is none."""
        return dict(self._cgroup_base)

    @property
    def uid_lock(self) -> str | None:
        """The lock file holding this pool's block of sandbox uids (root only)."""
        return self._uids.path if self._uids else None

    def worker_pids(self) -> list[int]:
        """Process ids of the zygotes (for diagnostics and tests)."""
        return [w.pid for w in self._workers if w.pid]

    @property
    def restarts(self) -> int:
        """How many times a worker had to be restarted."""
        return sum(w.restarts for w in self._workers)

    @property
    def runs(self) -> int:
        """How many notebooks were handed to workers (invalid files never are)."""
        return sum(w.runs for w in self._workers)

    # -- running ----------------------------------------------------------------------------

    def run(self, notebook, answers=(), functions=None, limits: Limits | None = None
            ) -> ExecutionResult:
        """Run one notebook (a path or a :class:`Submission`) and extract answers.

        ``answers`` are variable names; ``functions`` maps a function name to a list of
        test inputs (see :func:`~calcgrade.grader.sandbox.runner.call_functions`).
        Thread-safe: concurrent calls share the pool.
        """
        if not self._workers:
            if not self._launched:
                raise SandboxError("the executor is not started (use it in a with block)")
            self.start()
        limits = limits or self.limits
        answers, functions = check_request(answers, functions)
        try:
            submission = notebook if isinstance(notebook, Submission) else \
                load_submission(notebook, limits.notebook_bytes)
        except InvalidSubmission as error:
            return ExecutionResult.invalid(error.reason)
        worker = self._idle.get()
        try:
            return worker.execute(submission, answers, functions, limits)
        finally:
            self._idle.put(worker)

    def run_many(self, jobs) -> list[ExecutionResult]:
        """Run many jobs (:class:`Job` or ``(notebook, answers, functions)`` tuples) on all
        workers at once; results come back in the order of ``jobs``."""
        jobs = [job if isinstance(job, Job) else Job(*job) for job in jobs]
        with ThreadPoolExecutor(max_workers=self.size) as pool:
            return list(pool.map(
                lambda job: self.run(job.notebook, job.answers, job.functions, job.limits), jobs))

