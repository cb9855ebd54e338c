"""The pre-warmed worker ("zygote"): ``python -m calcgrade.grader.sandbox.worker``.

Started by :class:`~calcgrade.grader.sandbox.executor.SandboxExecutor` as a fresh
interpreter with a scrubbed environment (the course secret and the answers never
reach it). It imports numpy, sympy and IPython once, warms up an IPython shell
(with ``--lazy``, for a pool that runs one submission per worker, it leaves sympy and
the warm-up to the child that needs them), prepares the namespaces (:mod:`~calcgrade.grader.sandbox.jail`), then serves
requests over two pipes (:mod:`~calcgrade.grader.sandbox.protocol`):

- grader -> worker: a JSON frame ``{"type": "run", "id", "answers", "functions",
  "limits"}`` followed by a second frame, the *body* ``{"cells", "notebook"}``; or
  ``{"type": "stop"}``;
- worker -> grader: ``{"type": "ready", "pid", "isolation", ...}`` once; per run
  ``{"type": "started", "id", "pid"}``, then ``{"type": "result", "id", "exit_code",
  "signal", "killed", "seconds", "cpu_seconds", "isolation", ...}`` followed by two
  raw chunks: the child's result frame and the tail of its output, exactly as the
  child wrote them.

When the grader hands it a cgroup base, the worker moves once into a cgroup of its
own (:mod:`~calcgrade.grader.sandbox.cgroups`), where its children are born. For each
run it has a fresh child ready (:class:`Spare`, forked after the previous run with
``os.fork``; born in the worker's pid namespace, it waits); the worker sets the run's
limits on the group and hands the request over; the child takes its own IPC, mount
and user namespaces and executes :func:`~calcgrade.grader.sandbox.runner.child_main`.
Meanwhile the worker collects the child's result and output, enforces the wall
clock, the output limit and the whole tree's CPU time by killing the child's process
group, reaps it, has the pid namespace's reaper kill anything left behind (unless the
cgroup, which counts every process the child started, shows the worker alone), and
reports.

Student data (the body, the child's result and output) only ever sits in
preallocated buffers that the worker never decodes and zeroes after use, so a later
child, which starts as a copy of the worker's memory, finds nothing of an earlier
submission in it. The worker stays single-threaded, as forking requires.

>>> import subprocess, sys
>>> out = subprocess.run([sys.executable, "-m", "calcgrade.grader.sandbox.worker", "--help"],
...                      capture_output=True, text=True).stdout
>>> "--requests" in out
True
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import selectors
import shutil
import signal
import sys
import time

from calcgrade.grader.sandbox import cgroups, jail, protocol

CHUNK = 1 << 16
MAX_BODY = 64 * 1024 * 1024


def _prepare(args):
    """Import the heavy modules, build and warm the shell, prepare isolation.

    With ``--lazy`` (a worker that runs one submission) sympy is not imported and the
    shell not warmed up: a child imports what its notebook uses, once.
    """
    import threading

    import numpy  # noqa: F401

    from calcgrade.grader.sandbox import convert, runner

    if not args.lazy:
        import sympy  # noqa: F401

        convert.prepare_sympy()
    shell = runner.make_shell()
    if not args.lazy:
        runner.warm_up(shell)
    if threading.active_count() != 1 or len(os.listdir("/proc/self/task")) != 1:
        print("calcgrade sandbox worker: more than one thread; forking is unsafe",
              file=sys.stderr)
    root = os.path.join(args.dir, "root")
    job = os.path.join(args.dir, "job")
    os.makedirs(root, exist_ok=True)
    _fresh_job_dir(job, args.uid, args.gid)
    plan = jail.make_plan(root=root, job=job, uid=args.uid, gid=args.gid)
    reaper = None
    if args.no_namespaces:
        prepared = {"network": False, "filesystem": False, "pids": False}
    else:
        prepared, reaper = jail.prepare(plan)
    isolation = jail.probe(plan, prepared)
    if "error" in isolation and prepared["filesystem"]:  # fall back to a host directory
        prepared["filesystem"] = False
        isolation = jail.probe(plan, prepared)
    if "error" in isolation:
        raise RuntimeError(f"a sandbox child cannot start: {isolation['error']}")
    if reaper is not None:
        reaper.sweep()
    plan = jail.Plan(**{**plan.__dict__, "extra": prepared})
    group, described = _enter_group(args.cgroups)  # after the reaper: it stays outside
    isolation.update(described)
    return shell, plan, reaper, isolation, group


def _enter_group(base: dict) -> tuple[cgroups.WorkerGroup | None, dict]:
    """Move the worker into a group of its own under the pool's base, if there is one."""
    if "dirs" not in base:
        return None, cgroups.describe(base)
    group = cgroups.WorkerGroup(base)
    try:
        group.enter()
    except OSError as error:
        return None, cgroups.describe({"unavailable": f"cannot use a cgroup: {error.strerror}"})
    return group, cgroups.describe(base)


def _fresh_job_dir(job: str, uid, gid) -> None:
    shutil.rmtree(job, ignore_errors=True)
    os.makedirs(job, mode=0o700)
    if uid is not None:
        os.chown(job, uid, gid)


def _children() -> list[int]:
    """Pids whose parent is this process (we are a child subreaper)."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[1].decode() == me:
            found.append(int(entry))
    return found


def _kill(pid: int) -> None:
    for kill in (os.kill, os.killpg):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def sweep() -> None:
    """Without a pid namespace: kill every process re-parented to us, and reap."""
    for _ in range(1000):
        try:
            reaped, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if reaped:
            continue
        for child in _children():
            try:
                os.kill(child, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.005)


class Buffers:
    """The worker's buffers for children's results and output, allocated once.

    A run uses views of them sized by its limits; they only grow when a run's limits
    ask for more. Reusing them spares each run the zeroing (and, right after a fork,
    the copying) of fresh pages; :meth:`_Collector.wipe` zeroes what a run wrote.
    """

    def __init__(self):
        self.scratch = bytearray(CHUNK)
        self._result = bytearray(0)
        self._ring = bytearray(0)

    def collector(self, result_bytes: int, tail_bytes: int) -> "_Collector":
        if len(self._result) < result_bytes + protocol.HEADER.size:
            self._result = bytearray(result_bytes + protocol.HEADER.size)
        if len(self._ring) < tail_bytes:
            self._ring = bytearray(tail_bytes)
        return _Collector(self.scratch, result_bytes, tail_bytes,
                          memoryview(self._result)[:result_bytes + protocol.HEADER.size],
                          memoryview(self._ring)[:tail_bytes])


class _Collector:
    """Buffers for one child's result frame and the tail of its output (given, or
    allocated here)."""

    def __init__(self, scratch: bytearray, result_bytes: int, tail_bytes: int,
                 result=None, ring=None):
        self.scratch = scratch
        self.result = bytearray(result_bytes + protocol.HEADER.size) if result is None else result
        self.result_used = 0
        self.result_overflow = False
        self.ring = bytearray(tail_bytes) if ring is None else ring
        self.ring_pos = 0
        self.ring_filled = 0
        self.output_bytes = 0
        self.scratch_used = 0

    def read_result(self, fd: int) -> int:
        count = os.readv(fd, [memoryview(self.scratch)])
        self.scratch_used = max(self.scratch_used, count)
        if count and not self.result_overflow:
            if self.result_used + count > len(self.result):
                self.result_overflow = True
            else:
                self.result[self.result_used:self.result_used + count] = \
                    memoryview(self.scratch)[:count]
                self.result_used += count
        return count

    def read_output(self, fd: int) -> int:
        count = os.readv(fd, [memoryview(self.scratch)])
        self.scratch_used = max(self.scratch_used, count)
        self.output_bytes += count
        data = memoryview(self.scratch)[:count]
        keep = len(self.ring)
        if count >= keep:
            self.ring[:] = data[count - keep:]
            self.ring_pos, self.ring_filled = 0, keep
        elif count:
            first = min(count, keep - self.ring_pos)
            self.ring[self.ring_pos:self.ring_pos + first] = data[:first]
            self.ring[0:count - first] = data[first:]
            self.ring_pos = (self.ring_pos + count) % keep
            self.ring_filled = min(keep, self.ring_filled + count)
        return count

    def result_view(self):
        return memoryview(self.result)[:self.result_used]

    def tail_views(self) -> tuple:
        view = memoryview(self.ring)
        if self.ring_filled < len(self.ring):
            return (view[:self.ring_filled],)
        return (view[self.ring_pos:], view[:self.ring_pos])

    def wipe(self) -> None:
        """Zero what was written (untouched pages of the buffers are zero already)."""
        for buffer, used in ((self.scratch, self.scratch_used), (self.result, self.result_used),
                             (self.ring, self.ring_filled)):
            protocol.wipe(memoryview(buffer)[:used])


CPU_POLL_SECONDS = 0.1


def _supervise(pid, result_r, output_r, start, limits, collector: _Collector,
               budget: cgroups.RunBudget | None = None) -> str | None:
    """Collect until the child exits; kill it on the wall clock, the output limit or
    (with a cgroup) the CPU time of its whole process tree."""
    killed = None
    selector = selectors.PollSelector()  # no epoll descriptor to create and close per run
    try:
        pidfd = os.pidfd_open(pid)
        selector.register(pidfd, selectors.EVENT_READ, "exit")
    except (AttributeError, OSError):
        pidfd = None
    selector.register(result_r, selectors.EVENT_READ, collector.read_result)
    selector.register(output_r, selectors.EVENT_READ, collector.read_output)
    deadline = start + limits.wall_seconds
    watch_cpu = budget is not None and budget.cpu_seconds() is not None
    next_cpu_check = start + CPU_POLL_SECONDS
    exited = False
    while not exited:
        now = time.monotonic()
        if killed is None and now >= deadline:
            killed = "wall"
            _kill(pid)
        if killed is None and watch_cpu and now >= next_cpu_check:
            next_cpu_check = now + CPU_POLL_SECONDS
            used = budget.cpu_seconds()
            if used is not None and used >= limits.cpu_seconds:
                killed = "cpu"
                _kill(pid)
        timeout = 0.05 if killed else deadline - now
        if watch_cpu:
            timeout = min(timeout, CPU_POLL_SECONDS)
        if pidfd is None:
            timeout = min(timeout, 0.02)
        for key, _ in selector.select(timeout):
            if key.data == "exit":
                exited = True
            elif key.data(key.fd) == 0:
                selector.unregister(key.fd)
            elif collector.output_bytes > limits.output_bytes and killed is None:
                killed = "output"
                _kill(pid)
        if pidfd is None and not exited:
            exited = _has_exited(pid)
    selector.close()
    if pidfd is not None:
        os.close(pidfd)
    # What the child wrote just before exiting (bounded: leftovers may keep pipes open).
    for fd, read in ((result_r, collector.read_result), (output_r, collector.read_output)):
        os.set_blocking(fd, False)
        for _ in range(64):
            try:
                if read(fd) == 0:
                    break
            except BlockingIOError:
                break
    return killed


def _has_exited(pid: int) -> bool:
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None and info.si_pid == pid


class Spare:
    """The child of the next submission, forked ahead of its request.

    After each run (and at start) the worker forks the next child, which waits on a
    pipe for its request: forking a large process then overlaps the grader's own work
    instead of delaying the next notebook. The worker's buffers are wiped before the
    fork, so the spare holds nothing of an earlier submission. In a worker that lives
    in its cgroup the spare is born there, and makes itself the OOM killer's first
    choice in it.
    """

    def __init__(self, shell, plan, group: cgroups.WorkerGroup | None):
        from calcgrade.grader.sandbox import runner

        self.plan, self.group = plan, group
        self.budget, self.changed = None, {}
        request_r, self._request = os.pipe()
        self.result_r, result_w = os.pipe()
        self.output_r, output_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(self._request)
            os.close(self.result_r)
            os.close(self.output_r)
            try:
                jail.prctl(jail.PR_SET_PDEATHSIG, signal.SIGKILL)
                if group is not None:
                    cgroups.expose_to_oom()
                header = protocol.decode_body(bytes(protocol.read_exact_frame(request_r, 1 << 20)))
                body = protocol.read_exact_frame(request_r, MAX_BODY)
                os.close(request_r)
            except BaseException:  # noqa: BLE001 - the worker notices and starts another
                os._exit(70)
            runner.child_main(shell, plan, header, body, result_w, output_w)
            os._exit(0)  # not reached
        os.close(request_r)
        os.close(result_w)
        os.close(output_w)
        self.pid = pid
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass

    def dispatch(self, header: dict, body, limits) -> bool:
        """Set the run's limits on the worker's group and hand the request over."""
        if self.group is not None:
            try:
                self.budget = cgroups.RunBudget(self.group.group, limits.memory_bytes,
                                                limits.processes)
            except OSError as error:
                self.changed = cgroups.describe(
                    {"unavailable": f"cannot set the cgroup's limits: {error.strerror}"})
        try:
            protocol.write_all(self._request, protocol.encode_frame(header) +
                               protocol.HEADER.pack(len(body)))
            protocol.write_all(self._request, body)
            return True
        except OSError:
            return False
        finally:
            os.close(self._request)

    def discard(self) -> None:
        """Kill and reap an unused spare and close its pipes."""
        _kill(self.pid)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        for fd in (self._request, self.result_r, self.output_r):
            try:
                os.close(fd)
            except OSError:
                pass


def run_plans(plan, count: int = 1):
    """Each run's plan: as root, the next uid of the worker's range, so that a uid (and
    what the kernel keeps per uid, such as key quotas) comes back only after ``count``
    runs."""
    number = 0
    while True:
        if plan.uid is None:
            yield plan
        else:
            step = number % max(1, count)
            yield dataclasses.replace(plan, uid=plan.uid + step, gid=plan.gid + step)
        number += 1


def run_one(shell, plans, reaper, isolation, header, body: bytearray, buffers: Buffers,
            replies_fd: int, spare: Spare, group: cgroups.WorkerGroup | None = None):
    """Hand one submission to the waiting child, supervise it, and send the reply.

    Returns ``(healthy, next spare)``: not healthy when the worker can no longer fork
    into its pid namespace (its reaper is gone); the worker then exits and the grader
    starts a new one.
    """
    from calcgrade.grader.sandbox.limits import Limits

    limits = Limits.from_dict(header["limits"])
    plan = spare.plan
    if not isolation.get("filesystem"):
        _fresh_job_dir(plan.job, plan.uid, plan.gid)
    start = time.monotonic()
    if not spare.dispatch(header, body, limits):  # it died waiting: once more
        spare.discard()
        spare = Spare(shell, plan, group)
        start = time.monotonic()
        if not spare.dispatch(header, body, limits):
            raise RuntimeError("a fresh sandbox child did not accept its request")
    protocol.wipe(body)
    pid, budget, result_r, output_r = spare.pid, spare.budget, spare.result_r, spare.output_r
    protocol.write_frame(replies_fd, {"type": "started", "id": header.get("id"), "pid": pid})
    collector = buffers.collector(limits.result_bytes, 4 * limits.output_tail + 16)
    killed = _supervise(pid, result_r, output_r, start, limits, collector, budget)
    _kill(pid)  # its process group; the unreaped child keeps both ids from being reused
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - start
    healthy = True
    # In the worker's cgroup every process the child started is counted, zombies too:
    # when the worker is alone there, nothing is left to kill.
    if group is None or group.group.processes() != 1:
        if reaper is None or not reaper.sweep():
            sweep()
            healthy = reaper is None  # a lost reaper took the pid namespace with it
    tree = budget.report() if budget is not None else {}
    if group is not None:
        group.relax()
    os.close(result_r)
    os.close(output_r)
    if not isolation.get("filesystem"):
        shutil.rmtree(plan.job, ignore_errors=True)
        if plan.uid is not None:
            remove_owned(plan.uid)
    run_isolation = {**isolation, **spare.changed}
    if plan.uid is not None and isolation.get("user"):  # the uid this run dropped to
        run_isolation["user"] = plan.uid
    reply = {"type": "result", "id": header.get("id"), "pid": pid,
             "seconds": round(seconds, 4),
             "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
             "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
             "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
             "killed": killed, "output_bytes": collector.output_bytes,
             "result_overflow": collector.result_overflow,
             "isolation": run_isolation, **tree}
    try:
        protocol.write_frame(replies_fd, reply)
        protocol.write_chunks(replies_fd, collector.result_view(), collector.tail_views())
    finally:
        collector.wipe()
    if not healthy:
        return False, None
    return True, Spare(shell, next(plans), group)


SHARED_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")


def remove_owned(uid: int, folders=SHARED_TEMP_DIRS) -> None:
    """Without a private root: remove what the sandbox uid left in the shared temp dirs."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def serve(args) -> int:
    """The worker's main loop; returns an exit code."""
    try:
        jail.prctl(jail.PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        pass
    shell, plan, reaper, isolation, group = _prepare(args)
    try:
        code = _serve_requests(args, shell, run_plans(plan, args.uid_count), reaper,
                               isolation, group)
    except (BrokenPipeError, EOFError):
        code = None
    if group is not None:
        group.leave()
    if code is None:  # the grader went away without stopping us: clean up for it
        _remove_own_directory(plan, args.dir)
        cgroups.remove_empty_base(args.cgroups)
        if args.uid_lock:
            remove_stale_lock(args.uid_lock)
        return 1
    return code


def remove_stale_lock(path: str) -> None:
    """The lock file of a grader that died: removed once nobody holds it."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while a grader holds it
        if os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
            os.unlink(path)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_own_directory(plan, directory: str) -> None:
    """Leave nothing behind when the grader died without cleaning up."""
    jail.detach(plan)
    shutil.rmtree(directory, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(directory))  # the pool's directory, once empty
    except OSError:
        pass


def _serve_requests(args, shell, plans, reaper, isolation, group) -> int:
    import gc

    import IPython
    import numpy

    sympy = sys.modules.get("sympy")  # not imported by a --lazy worker
    buffers = Buffers()
    gc.collect()
    gc.freeze()
    replies = args.replies
    spare = Spare(shell, next(plans), group)
    protocol.write_frame(replies, {
        "type": "ready", "pid": os.getpid(), "isolation": isolation,
        "python": sys.version.split()[0],
        "versions": {"numpy": numpy.__version__, "sympy": sympy and sympy.__version__,
                     "ipython": IPython.__version__}})
    while True:
        header = protocol.decode_body(bytes(protocol.read_exact_frame(args.requests, 1 << 20)))
        kind = header.get("type")
        if kind == "stop":
            spare.discard()
            return 0
        if kind != "run":
            protocol.write_frame(replies, {"type": "error", "message": f"unknown request {kind!r}"})
            continue
        body = protocol.read_exact_frame(args.requests, MAX_BODY)
        healthy, spare = run_one(shell, plans, reaper, isolation, header, body, buffers,
                                 replies, spare, group)
        del body
        if not healthy:
            print("calcgrade sandbox worker: the pid namespace's reaper is gone", file=sys.stderr)
            return 3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calcgrade.grader.sandbox.worker",
                                     description="calcgrade sandbox worker (zygote)")
    parser.add_argument("--requests", type=int, required=True, help="fd to read requests from")
    parser.add_argument("--replies", type=int, required=True, help="fd to write replies to")
    parser.add_argument("--dir", required=True, help="private directory of this worker")
    parser.add_argument("--uid", type=int, default=None, help="uid of submissions (root only)")
    parser.add_argument("--gid", type=int, default=None, help="gid of submissions (root only)")
    parser.add_argument("--uid-count", type=int, default=1,
                        help="submissions take the uids (and gids) --uid .. --uid + N - 1 in turn")
    parser.add_argument("--lazy", action="store_true",
                        help="import sympy and warm up the shell only in children that need it")
    parser.add_argument("--no-namespaces", action="store_true",
                        help="plain fork: no network/filesystem/pid isolation")
    parser.add_argument("--uid-lock", default=None,
                        help="the pool's uid lock file, removed if the grader dies")
    parser.add_argument("--cgroups", type=json.loads, default={"unavailable": "not requested"},
                        help="the pool's cgroup base as JSON (from cgroups.create_base)")
    args = parser.parse_args(argv)
    os.chdir(args.dir)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
