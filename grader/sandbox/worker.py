"""The pre-warmed worker ("zygote"): ``python -m calcgrade.grader.sandbox.worker``.

Started by :class:`~calcgrade.grader.sandbox.executor.SandboxExecutor` as a fresh
interpreter with a scrubbed environment (no course secret, no answers ever reach
it). It imports numpy, sympy and IPython once, warms up an IPython shell, probes the
namespaces the kernel allows, then serves requests over two pipes with
length-prefixed JSON frames (:mod:`~calcgrade.grader.sandbox.protocol`):

- grader -> worker: ``{"type": "run", "id", "cells", "notebook", "answers",
  "functions", "limits"}`` or ``{"type": "stop"}``;
- worker -> grader: ``{"type": "ready", "pid", "isolation", ...}`` once, then for each
  run ``{"type": "started", "id", "pid"}`` and ``{"type": "result", "id", ...}``.

For each run it forks a fresh child (in new namespaces, see
:mod:`~calcgrade.grader.sandbox.jail`) that executes
:func:`~calcgrade.grader.sandbox.runner.child_main`; meanwhile the worker collects the
child's output (a capped tail), enforces the wall clock and the output limit by
killing the child, reaps it, kills anything it left behind, and reports.

The worker is single-threaded (a requirement of fork/clone). Example (what the
executor does; ``--help`` lists the options):

>>> import subprocess, sys
>>> out = subprocess.run([sys.executable, "-m", "calcgrade.grader.sandbox.worker", "--help"],
...                      capture_output=True, text=True).stdout
>>> "--requests" in out
True
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import signal
import sys
import time

from calcgrade.grader.sandbox import jail, protocol

OUTPUT_CHUNK = 1 << 16


def _prepare(args):
    """Import the heavy modules, build and warm the shell, probe isolation."""
    import numpy  # noqa: F401
    import sympy  # noqa: F401

    from calcgrade.grader.sandbox import convert, runner

    convert.prepare_sympy()
    shell = runner.make_shell()
    runner.warm_up(shell)
    root = os.path.join(args.dir, "root")
    job = os.path.join(args.dir, "job")
    os.makedirs(root, exist_ok=True)
    _fresh_job_dir(job, args.uid, args.gid)
    plan = jail.make_plan(root=root, job=job, uid=args.uid, gid=args.gid)
    if args.no_namespaces:
        flags, isolation = 0, {"network": False, "filesystem": False, "pids": False,
                               "namespaces": "none"}
    else:
        flags, isolation = jail.probe(plan)
    return shell, plan, flags, isolation


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


def sweep(pid: int) -> None:
    """Kill the child's process group and every process re-parented to us; reap all."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass
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


def _kill(pid: int) -> None:
    for kill in (os.kill, os.killpg):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run_one(shell, plan, flags, isolation, request, replies_fd) -> dict:
    """Fork a child for one submission, supervise it, and build the reply."""
    from calcgrade.grader.sandbox import runner
    from calcgrade.grader.sandbox.limits import Limits

    limits = Limits.from_dict(request["limits"])
    if not isolation.get("filesystem"):
        _fresh_job_dir(plan.job, plan.uid, plan.gid)
    result_r, result_w = os.pipe()
    output_r, output_w = os.pipe()
    start = time.monotonic()
    used_flags = flags
    try:
        pid = jail.spawn(flags)
    except OSError:  # namespaces refused this time: plain fork, reported as such
        used_flags = 0
        isolation = {"network": False, "filesystem": False, "pids": False}
        _fresh_job_dir(plan.job, plan.uid, plan.gid)
        pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(output_r)
        runner.child_main(shell, plan, used_flags, request, result_w, output_w)
        os._exit(0)  # not reached
    os.close(result_w)
    os.close(output_w)
    try:
        os.setpgid(pid, pid)
    except OSError:
        pass
    protocol.write_frame(replies_fd, {"type": "started", "id": request.get("id"), "pid": pid})
    state = _supervise(pid, result_r, output_r, start, limits)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.monotonic() - start
    sweep(pid)
    os.close(result_r)
    os.close(output_r)
    if not isolation.get("filesystem"):
        shutil.rmtree(plan.job, ignore_errors=True)
    reply = {"type": "result", "id": request.get("id"), "pid": pid,
             "seconds": round(seconds, 4),
             "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
             "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
             "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
             "killed": state["killed"],
             "output": state["tail"].decode("utf-8", "replace")[-limits.output_tail:],
             "output_bytes": state["output_bytes"],
             "isolation": dict(isolation, namespaces=jail.describe_flags(used_flags)),
             "payload": None, "payload_error": None}
    data = bytes(state["result"])
    if state["result_overflow"]:
        reply["payload_error"] = f"result larger than {limits.result_bytes} bytes"
    elif data:
        try:
            reply["payload"] = protocol.decode_frame(data, limits.result_bytes)
        except protocol.ProtocolError as error:
            reply["payload_error"] = str(error)
    return reply


def _supervise(pid, result_r, output_r, start, limits) -> dict:
    """Read result and output until the child exits; kill it on a limit."""
    state = {"killed": None, "tail": bytearray(), "output_bytes": 0, "result": bytearray(),
             "result_overflow": False}
    keep = 4 * limits.output_tail + 16
    max_result = limits.result_bytes + protocol.HEADER.size
    selector = selectors.DefaultSelector()
    pidfd = None
    try:
        pidfd = os.pidfd_open(pid)
        selector.register(pidfd, selectors.EVENT_READ, "exit")
    except (AttributeError, OSError):
        pass
    selector.register(result_r, selectors.EVENT_READ, "result")
    selector.register(output_r, selectors.EVENT_READ, "output")
    deadline = start + limits.wall_seconds
    exited = False
    while not exited:
        now = time.monotonic()
        if state["killed"] is None and now >= deadline:
            state["killed"] = "wall"
            _kill(pid)
        timeout = 0.05 if state["killed"] else deadline - now
        if pidfd is None:
            timeout = min(timeout, 0.02)
        for key, _ in selector.select(timeout):
            if key.data == "exit":
                exited = True
            elif _read_into(key.fd, key.data, state, keep, max_result, limits, pid) is None:
                selector.unregister(key.fd)
        if pidfd is None and not exited:
            exited = _has_exited(pid)
    selector.close()
    if pidfd is not None:
        os.close(pidfd)
    # Drain what the child wrote just before exiting (bounded; leftovers may keep pipes open).
    for fd, what in ((result_r, "result"), (output_r, "output")):
        os.set_blocking(fd, False)
        for _ in range(64):
            try:
                if _read_into(fd, what, state, keep, max_result, limits, pid) is None:
                    break
            except BlockingIOError:
                break
    return state


def _has_exited(pid: int) -> bool:
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None and info.si_pid == pid


def _read_into(fd, what, state, keep, max_result, limits, pid):
    chunk = os.read(fd, OUTPUT_CHUNK)
    if not chunk:
        return None
    if what == "result":
        if len(state["result"]) + len(chunk) > max_result:
            state["result_overflow"] = True
        else:
            state["result"] += chunk
    else:
        state["output_bytes"] += len(chunk)
        state["tail"] += chunk
        if len(state["tail"]) > keep:
            del state["tail"][:-keep]
        if state["output_bytes"] > limits.output_bytes and state["killed"] is None:
            state["killed"] = "output"
            _kill(pid)
    return len(chunk)


def serve(args) -> int:
    """The worker's main loop; returns an exit code."""
    try:
        jail.prctl(jail.PR_SET_CHILD_SUBREAPER, 1)
    except OSError:
        pass
    shell, plan, flags, isolation = _prepare(args)
    import gc

    gc.collect()
    gc.freeze()
    replies = args.replies
    reader = protocol.FrameReader(args.requests)
    import IPython
    import numpy
    import sympy

    protocol.write_frame(replies, {
        "type": "ready", "pid": os.getpid(), "isolation": isolation,
        "namespaces": jail.describe_flags(flags), "python": sys.version.split()[0],
        "versions": {"numpy": numpy.__version__, "sympy": sympy.__version__,
                     "ipython": IPython.__version__}})
    while True:
        try:
            request = reader.read()
        except EOFError:
            return 0
        kind = request.get("type")
        if kind == "stop":
            return 0
        if kind != "run":
            protocol.write_frame(replies, {"type": "error", "message": f"unknown request {kind!r}"})
            continue
        reply = run_one(shell, plan, flags, isolation, request, replies)
        protocol.write_frame(replies, reply)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m calcgrade.grader.sandbox.worker",
                                     description="calcgrade sandbox worker (zygote)")
    parser.add_argument("--requests", type=int, required=True, help="fd to read requests from")
    parser.add_argument("--replies", type=int, required=True, help="fd to write replies to")
    parser.add_argument("--dir", required=True, help="private directory of this worker")
    parser.add_argument("--uid", type=int, default=None, help="uid of submissions (root only)")
    parser.add_argument("--gid", type=int, default=None, help="gid of submissions (root only)")
    parser.add_argument("--no-namespaces", action="store_true",
                        help="plain fork: no network/filesystem/pid isolation")
    args = parser.parse_args(argv)
    os.chdir(args.dir)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
