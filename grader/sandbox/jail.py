"""Isolation of the sandbox child: namespaces, a private root, an unprivileged user.

Linux only, standard library only (ctypes + libc). The worker computes a
:class:`Plan` once, probes which namespaces the kernel grants (:func:`probe`), then
for each submission creates the child with :func:`spawn` (``clone(2)`` with new
pid/network/mount namespaces, plus a user namespace when not root) and the child
calls :func:`enter` before any student code runs:

1. in the new mount namespace, a fresh tmpfs becomes the root: read-only bind mounts
   of the system directories and the Python installation at their usual paths, a
   few device nodes, a private devpts and ``/proc`` (of the new pid namespace only),
   and two size-limited writable tmpfs: ``/work`` (the working directory) and
   ``/tmp``; then ``chroot`` into it. Nothing else of the host (home directories,
   the course folder, other submissions, the grader's files) is visible;
2. the new network namespace has no interfaces up: no network, not even loopback;
3. privileges are dropped: a root grader switches to an unprivileged uid/gid;
   otherwise the capabilities held in the user namespace are cleared; in both
   cases ``no_new_privs`` is set.

Each step that the kernel refuses is skipped and reported in the returned dict
(``network``, ``filesystem``, ``pids``, ``user``), so the caller can record what
was actually isolated.

>>> plan = make_plan(root="/nonexistent/root", job="/nonexistent/job", uid=None, gid=None)
>>> "/usr" in plan.binds and plan.root
'/nonexistent/root'
>>> describe_flags(CLONE_NEWPID | CLONE_NEWNET)
'pid+net'
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import platform
import signal
import site
import sys
from dataclasses import dataclass, field

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MS_STRICTATIME = 1 << 24

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_CLONE_SYSCALL = {"x86_64": 56, "aarch64": 220, "arm64": 220, "riscv64": 220,
                  "ppc64le": 120, "s390x": 120}
_DEVICES = ("null", "zero", "full", "random", "urandom")
_SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                "/opt/conda")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                        ctypes.c_ulong]
# The clone syscall must run with the GIL held (PyDLL) so the child resumes cleanly.
_pysyscall = ctypes.PyDLL(None, use_errno=True).syscall
_pysyscall.restype = ctypes.c_long
_pysyscall.argtypes = [ctypes.c_long] * 6


@dataclass(frozen=True)
class Plan:
    """What the private root contains, computed once in the worker.

    ``root`` is an empty host directory used as the mount point of the new root;
    ``job`` a host directory used as working directory when no mount namespace is
    available; ``binds`` host directories mounted read-only at the same path;
    ``links`` top-level symlinks (``/bin -> usr/bin``) recreated inside; ``uid`` and
    ``gid`` the unprivileged ids a root grader drops to (None when not root).
    """

    root: str
    job: str
    binds: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    uid: int | None
    gid: int | None
    extra: dict = field(default_factory=dict)


def make_plan(root: str, job: str, uid: int | None, gid: int | None) -> Plan:
    """The directories a Python child needs: system dirs, prefixes, site-packages."""
    wanted = set()
    links = []
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            links.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            wanted.add(path)
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    try:
        prefixes.update(site.getsitepackages())
    except AttributeError:  # pragma: no cover - virtualenv's old site.py
        pass
    prefixes.update(p for p in sys.path if p and ("site-packages" in p or "dist-packages" in p))
    for path in prefixes:
        if path and os.path.isdir(path):
            wanted.add(os.path.realpath(path))
            wanted.add(os.path.abspath(path))
    # Keep only the outermost directories, and never the root itself.
    binds = []
    for path in sorted(wanted, key=len):
        if path == "/" or any(path == b or path.startswith(b.rstrip("/") + "/") for b in binds):
            continue
        if any(path == link or path.startswith(link + "/") for link, _ in links):
            continue
        binds.append(path)
    return Plan(root=root, job=job, binds=tuple(sorted(binds)), links=tuple(links),
                uid=uid, gid=gid)


def describe_flags(flags: int) -> str:
    """Short text for clone flags, e.g. ``'user+pid+net+mount'``."""
    names = [(CLONE_NEWUSER, "user"), (CLONE_NEWPID, "pid"), (CLONE_NEWNET, "net"),
             (CLONE_NEWNS, "mount")]
    return "+".join(name for bit, name in names if flags & bit) or "none"


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def prctl(option: int, arg: int = 0) -> None:
    """libc prctl with one argument; raises OSError."""
    _check(_libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = (lambda s: None if s is None else os.fsencode(s))
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {target}")


def spawn(flags: int) -> int:
    """Fork a child in new namespaces (``clone`` with ``flags``); 0 in the child.

    ``flags == 0`` is a plain ``os.fork()``. The caller must be single-threaded.
    Raises OSError when the kernel refuses the namespaces.
    """
    if flags == 0:
        return os.fork()
    number = _CLONE_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(errno.ENOSYS, "clone with namespaces is not supported on this CPU")
    api = ctypes.pythonapi
    api.PyOS_BeforeFork()
    pid = _pysyscall(number, flags | signal.SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        api.PyOS_AfterFork_Child()
        return 0
    code = ctypes.get_errno()
    api.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(code, f"clone({describe_flags(flags)}): {os.strerror(code)}")
    return pid


def candidate_flags(privileged: bool) -> list[int]:
    """Namespace sets to try, strongest first."""
    full = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS
    if privileged:
        return [full, CLONE_NEWNET | CLONE_NEWNS, CLONE_NEWNET, 0]
    user = CLONE_NEWUSER
    return [user | full, user | CLONE_NEWNET | CLONE_NEWNS, user | CLONE_NEWNET, 0]


def probe(plan: Plan, disk_bytes: int = 1024 * 1024) -> tuple[int, dict]:
    """The strongest clone flags that work here, and what a child achieved with them.

    Each candidate is tried by spawning a child that runs :func:`enter` and reports
    its isolation over a pipe. Returns ``(0, {...})`` when nothing works.
    """
    privileged = os.geteuid() == 0
    for flags in candidate_flags(privileged):
        read_end, write_end = os.pipe()
        try:
            pid = spawn(flags)
        except OSError:
            os.close(read_end)
            os.close(write_end)
            continue
        if pid == 0:  # child
            code = 1
            try:
                os.close(read_end)
                os.chdir("/")
                info = enter(plan, flags, disk_bytes)
                os.write(write_end, json.dumps(info).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        data = b""
        while chunk := os.read(read_end, 65536):
            data += chunk
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) == 0 and data:
            return flags, json.loads(data)
    return 0, {"network": False, "filesystem": False, "pids": False, "user": os.geteuid(),
               "namespaces": "none"}


def enter(plan: Plan, flags: int, disk_bytes: int) -> dict:
    """Child side: isolate this process as far as the kernel allows (see module doc).

    Afterwards the working directory is the private ``/work`` (or ``plan.job`` when
    no private root could be built). Returns what was achieved.
    """
    info = {"namespaces": describe_flags(flags), "network": bool(flags & CLONE_NEWNET),
            "pids": bool(flags & CLONE_NEWPID), "filesystem": False}
    uid, gid = os.geteuid(), os.getegid()
    target_uid, target_gid = (plan.uid, plan.gid) if uid == 0 and plan.uid is not None \
        else (uid, gid)
    if flags & CLONE_NEWUSER:
        _map_ids(uid, gid)
    if flags & CLONE_NEWNS:
        try:
            _build_root(plan, disk_bytes, bool(flags & CLONE_NEWPID), target_uid, target_gid)
            info["filesystem"] = True
        except OSError as error:
            info["filesystem_error"] = str(error)
    if not info["filesystem"]:
        os.chdir(plan.job)
    if not info["network"] and uid == 0:
        try:
            _check(_libc.unshare(CLONE_NEWNET), "unshare(net)")
            info["network"] = True
        except OSError:
            pass
    if uid == 0 and not flags & CLONE_NEWUSER and plan.uid is not None:
        os.setgroups([])
        os.setresgid(plan.gid, plan.gid, plan.gid)
        os.setresuid(plan.uid, plan.uid, plan.uid)
    else:
        _drop_capabilities()
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    except OSError:
        pass
    info["user"] = os.geteuid()
    return info


def _map_ids(uid: int, gid: int) -> None:
    """Map our own ids into the fresh user namespace (allowed unprivileged)."""
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{gid} {gid} 1")


def _locked_flags(path: str) -> int:
    """Per-mount flags of ``path`` that a remount must keep (atime, nosuid, ...)."""
    flags = os.statvfs(path).f_flag
    out = MS_NOSUID | MS_NODEV
    for st_bit, ms_bit in ((os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, MS_NOATIME),
                           (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME)):
        if flags & st_bit:
            out |= ms_bit
    if not flags & (os.ST_NOATIME | os.ST_RELATIME):
        out |= MS_STRICTATIME
    return out


def _bind_readonly(source: str, target: str) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | _locked_flags(source))


def _build_root(plan: Plan, disk_bytes: int, own_proc: bool, uid: int, gid: int) -> None:
    new = plan.root
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
    for path in plan.binds:
        inside = new + path
        os.makedirs(inside, exist_ok=True)
        _bind_readonly(path, inside)
    for link, target in plan.links:
        os.makedirs(os.path.dirname(new + link), exist_ok=True)
        os.symlink(target, new + link)
    dev = new + "/dev"
    os.makedirs(dev + "/pts", exist_ok=True)
    for name in _DEVICES:
        open(f"{dev}/{name}", "w").close()
        _mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    try:
        _mount("devpts", dev + "/pts", "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,ptmxmode=0666,mode=0620")
        os.symlink("pts/ptmx", dev + "/ptmx")
    except OSError:
        pass  # no pseudo-terminals: `!cmd` in a cell fails, nothing else does
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    if own_proc:
        os.makedirs(new + "/proc", exist_ok=True)
        try:
            _mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            pass
    for path, mode in (("/work", "700"), ("/tmp", "1777")):
        os.makedirs(new + path, exist_ok=True)
        _mount("tmpfs", new + path, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={int(disk_bytes)},mode={mode},uid={uid},gid={gid}")
    _mount(None, new, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(new)
    os.chroot(".")
    os.chdir("/work")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> None:
    """Clear every capability of this process (those of a user namespace included)."""
    header = _CapHeader(0x20080522, 0)
    data = (_CapData * 2)()
    _libc.capset.argtypes = [ctypes.POINTER(_CapHeader), ctypes.POINTER(_CapData)]
    _check(_libc.capset(ctypes.byref(header), data), "capset")
