"""Isolation of the sandbox child: namespaces, a private root, an unprivileged user.

Linux only, standard library only (ctypes + libc). In two steps:

- :func:`prepare` runs once in the worker. The worker moves into an empty network
  namespace (no interface up: no network, not even loopback) and a private mount
  namespace (plus a user namespace when the grader is not root), and builds a
  read-only root at ``plan.root``: a small tmpfs holding read-only bind mounts of the
  system directories and of the Python installation at their usual paths, a few
  device nodes, and empty ``/work``, ``/tmp``, ``/dev/shm`` and ``/proc``. The working
  directory is ``/work`` unless a bound host path lies under it (a checkout or
  virtualenv under ``/work`` on the host): then ``/work-1`` (:func:`choose_workdir`),
  so that only the submission's files ever show in it. Nothing else of the host
  (home directories, the course folder, other submissions, the grader's files) is in
  it. It also opens a pid namespace for its future children, whose pid 1 is a tiny
  :class:`Reaper` that kills everything left in it when asked. The worker itself
  keeps seeing the host; it never runs student code.
- For each submission the worker forks (``os.fork``) a child, which calls
  :func:`enter` before any student code runs: its own IPC namespace (SysV shared
  memory, message queues, semaphores, POSIX message queues) and its own copy of the
  mount namespace, fresh size-limited tmpfs on the working directory
  (``plan.workdir``, normally ``/work``), ``/tmp`` and ``/dev/shm``, a ``/proc``
  showing only the pid namespace; then privileges go: a root grader switches to an
  unprivileged uid/gid, the child moves into a user namespace of its own (so the
  per-user keyrings it sees are new and die with it), ``chroot``, a fresh anonymous
  session keyring replaces the grader's, every capability is cleared and
  ``no_new_privs`` is set. Inside the pid namespace the child cannot see or signal
  anything outside it.

Whatever the kernel refuses is skipped and reported (``network``, ``filesystem``,
``pids``, ``ipc``, ``user_namespace``, ``keyring``, ``user``) so the caller records
what was actually isolated; without a private root the child works in ``plan.job``,
a host directory.

>>> plan = make_plan(root="/nonexistent/root", job="/nonexistent/job", uid=None, gid=None)
>>> "/usr" in plan.binds and plan.root
'/nonexistent/root'
>>> choose_workdir(["/usr", "/work/course/.venv"])  # no bind may show in the workdir
'/work-1'
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
CLONE_NEWIPC = 0x08000000
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
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_DEVICES = ("null", "zero", "full", "random", "urandom")
WORKDIR = "/work"
KEYCTL_JOIN_SESSION_KEYRING = 1
_SYS_KEYCTL = {"x86_64": 250, "amd64": 250, "aarch64": 219, "arm64": 219, "riscv64": 219,
               "i386": 288, "i686": 288, "armv7l": 311, "ppc64le": 271, "s390x": 280}
_SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
                "/opt/conda")


def _missing(*args):
    ctypes.set_errno(errno.ENOSYS)
    return -1


def _libc_function(name: str, argtypes):
    """A libc function with its signature, or a stub failing with ENOSYS (not Linux)."""
    try:
        function = getattr(ctypes.CDLL(None, use_errno=True), name)
    except AttributeError:
        return _missing
    function.argtypes = argtypes
    function.restype = ctypes.c_int
    return function


_mount_c = _libc_function("mount", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                    ctypes.c_ulong, ctypes.c_char_p])
_unshare_c = _libc_function("unshare", [ctypes.c_int])
_prctl_c = _libc_function("prctl", [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                                    ctypes.c_ulong, ctypes.c_ulong])
_capset_c = _libc_function("capset", [ctypes.c_void_p, ctypes.c_void_p])
_umount2_c = _libc_function("umount2", [ctypes.c_char_p, ctypes.c_int])
MNT_DETACH = 2
try:
    _syscall_c = ctypes.CDLL(None, use_errno=True).syscall
    _syscall_c.restype = ctypes.c_long
except AttributeError:  # pragma: no cover - not Linux
    _syscall_c = _missing


@dataclass(frozen=True)
class Plan:
    """What the private root contains, computed once in the worker.

    ``root`` is an empty host directory used as the mount point of the new root;
    ``job`` a host directory used as working directory when no mount namespace is
    available; ``workdir`` the private working directory inside the root (``/work``
    unless a bind would lie under it); ``binds`` host directories mounted read-only
    at the same path;
    ``links`` top-level symlinks (``/bin -> usr/bin``) recreated inside; ``uid`` and
    ``gid`` the unprivileged ids a root grader drops to (None when not root);
    ``extra`` what :func:`prepare` achieved (the worker fills it in).
    """

    root: str
    job: str
    binds: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    uid: int | None
    gid: int | None
    extra: dict = field(default_factory=dict)
    workdir: str = WORKDIR


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
                uid=uid, gid=gid, workdir=choose_workdir(binds + [link for link, _ in links]))


def _overlaps(path: str, other: str) -> bool:
    return path == other or path.startswith(other.rstrip("/") + "/") or \
        other.startswith(path.rstrip("/") + "/")


def choose_workdir(taken) -> str:
    """``/work``, or ``/work-1``, ``/work-2``... : the first path no bind lies under (or
    over), so the working directory only ever holds the submission's own files."""
    candidate, number = WORKDIR, 0
    while any(_overlaps(candidate, path) for path in taken) or \
            candidate in ("/tmp", "/proc", "/dev"):
        number += 1
        candidate = f"{WORKDIR}-{number}"
    return candidate


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def prctl(option: int, arg: int = 0) -> None:
    """libc prctl with one argument; raises OSError."""
    _check(_prctl_c(option, arg, 0, 0, 0), f"prctl({option})")


def unshare(flags: int) -> None:
    """libc unshare; raises OSError."""
    _check(_unshare_c(flags), f"unshare({flags:#x})")


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = (lambda s: None if s is None else os.fsencode(s))
    _check(_mount_c(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {target}")


class Reaper:
    """Pid 1 of the worker's pid namespace: on request, kills everything else in it.

    The worker's children are born in that namespace. They see only it (and this
    process, which ignores their signals, as init does), and processes they leave
    behind are re-parented to the reaper; :meth:`sweep` kills and reaps them all.
    """

    def __init__(self):
        command_r, command_w = os.pipe()
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pid 1 of the new namespace
            try:
                os.close(command_w)
                os.close(done_r)
                _serve_reaper(command_r, done_w)
            finally:
                os._exit(0)
        os.close(command_r)
        os.close(done_w)
        self.pid, self._command, self._done = pid, command_w, done_r

    def sweep(self) -> bool:
        """Kill every process of the namespace except the reaper; True when done."""
        try:
            os.write(self._command, b"k")
            return os.read(self._done, 1) == b"d"
        except OSError:
            return False

    def alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False


def _serve_reaper(command_fd: int, done_fd: int) -> None:
    if os.getpid() != 1:  # kill(-1) outside a fresh pid namespace would hit the host
        return
    for fd in range(3, 1024):
        if fd not in (command_fd, done_fd):
            try:
                os.close(fd)
            except OSError:
                pass
    while os.read(command_fd, 1):
        while True:
            try:
                os.kill(-1, signal.SIGKILL)  # every process of the namespace but us
            except ProcessLookupError:
                break
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                pass
        while True:
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        os.write(done_fd, b"d")


def prepare(plan: Plan) -> tuple[dict, Reaper | None]:
    """Worker side, once: empty network namespace, private root, pid namespace.

    Returns what worked (``network``, ``filesystem``, ``pids``) and the reaper of
    the pid namespace (None without one).
    """
    info = {"network": False, "filesystem": False, "pids": False}
    uid, gid = os.geteuid(), os.getegid()
    user = 0 if uid == 0 else CLONE_NEWUSER
    mount_ns = False
    for flags in (user | CLONE_NEWNET | CLONE_NEWNS, user | CLONE_NEWNET):
        try:
            unshare(flags)
        except OSError as error:
            info["error"] = str(error)
            continue
        if user:
            _map_ids(uid, gid)
        info["network"] = True
        mount_ns = bool(flags & CLONE_NEWNS)
        break
    if mount_ns:
        try:
            _build_tree(plan)
            info["filesystem"] = True
        except OSError as error:
            info["error"] = str(error)
    reaper = None
    try:
        unshare(CLONE_NEWPID)
        reaper = Reaper()
        info["pids"] = True
    except OSError as error:
        info["error"] = str(error)
    return info, reaper


def probe(plan: Plan, prepared: dict, disk_bytes: int = 1024 * 1024) -> dict:
    """What a child achieves with what the worker prepared: a trial run of :func:`enter`.

    Returns the child's isolation report, or ``{"error": ...}`` when it failed.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            try:
                report = enter(plan, disk_bytes, prepared)
            except BaseException as error:  # noqa: BLE001
                report = {"error": f"{type(error).__name__}: {error}"}
            os.write(write_end, json.dumps(report).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(data) if data else {"error": "the trial child died"}


def enter(plan: Plan, disk_bytes: int, prepared: dict) -> dict:
    """Child side: isolate this process as far as the worker prepared (module doc).

    Afterwards the working directory is the private ``plan.workdir`` (or ``plan.job``
    when no private root is available). Returns what was achieved.
    """
    info = {"network": bool(prepared.get("network")), "pids": bool(prepared.get("pids")),
            "filesystem": False, "ipc": False, "user_namespace": False, "keyring": False}
    drop = os.geteuid() == 0 and plan.uid is not None
    uid, gid = (plan.uid, plan.gid) if drop else (os.geteuid(), os.getegid())
    try:
        unshare(CLONE_NEWIPC)
        info["ipc"] = True
    except OSError:
        pass  # reported: IPC objects are then those of the worker's namespace
    if prepared.get("filesystem"):
        unshare(CLONE_NEWNS)
        _mount_private(plan, disk_bytes, info["pids"], uid, gid)
        os.chdir(plan.root)  # while the host path above it may still be searched
        info["filesystem"] = True
    else:
        os.chdir(plan.job)
    if drop:
        os.setgroups([])
        os.setresgid(plan.gid, plan.gid, plan.gid)
        os.setresuid(plan.uid, plan.uid, plan.uid)
    info["user_namespace"] = _own_user_namespace(uid, gid, dumpable_after=not drop)
    if info["filesystem"]:
        os.chroot(".")
        os.chdir(plan.workdir)
    info["keyring"] = join_session_keyring()
    _drop_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    info["user"] = os.geteuid()
    if info["filesystem"]:
        info["workdir"] = plan.workdir
    return info


def _own_user_namespace(uid: int, gid: int, dumpable_after: bool) -> bool:
    """Move into a new user namespace mapping only ``uid``/``gid`` to themselves.

    The per-user keyrings (``@u``, ``@us``) belong to the user namespace, so a new one
    gives this child keyrings nobody else sees and that die with it. After a uid change
    the process is not dumpable and could not write its own id maps; it is made
    dumpable for the writes and restored afterwards.
    """
    try:
        if not dumpable_after:
            prctl(PR_SET_DUMPABLE, 1)
        unshare(CLONE_NEWUSER)
        _map_ids(uid, gid)
        return True
    except OSError:
        return False
    finally:
        if not dumpable_after:
            try:
                prctl(PR_SET_DUMPABLE, 0)
            except OSError:
                pass


def join_session_keyring() -> bool:
    """Replace the inherited session keyring with a new anonymous one (keyctl).

    The inherited one is the grader's; afterwards this process no longer possesses it.
    False where the kernel has no keys or a filter refuses ``keyctl`` (then the child
    cannot use keyrings at all); any other failure (a quota) raises: the child must not
    run with the grader's keyring.
    """
    number = _SYS_KEYCTL.get(platform.machine())
    if number is None:
        return False
    result = _syscall_c(ctypes.c_long(number), ctypes.c_long(KEYCTL_JOIN_SESSION_KEYRING),
                        ctypes.c_void_p(None))
    if result >= 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EPERM, errno.EACCES):  # no keys, or keyctl filtered out
        return False
    raise OSError(code, f"cannot replace the session keyring: {os.strerror(code)}")


def detach(plan: Plan) -> None:
    """Worker side, at exit: unmount the private root so its directory can be removed."""
    _umount2_c(os.fsencode(plan.root), MNT_DETACH)


def _map_ids(uid: int, gid: int) -> None:
    """Map our own ids into the fresh user namespace (allowed unprivileged)."""
    for path, text in (("/proc/self/setgroups", "deny"), ("/proc/self/uid_map", f"{uid} {uid} 1"),
                       ("/proc/self/gid_map", f"{gid} {gid} 1")):
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            data = text.encode()
            if os.write(fd, data) != len(data):
                raise OSError(errno.EIO, f"short write to {path}")
        finally:
            os.close(fd)


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


def _build_tree(plan: Plan) -> None:
    """Worker side: the read-only root at ``plan.root`` (in the worker's mount namespace)."""
    new = plan.root
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path in (plan.workdir, "/tmp", "/proc", "/dev/shm"):
        os.makedirs(new + path, exist_ok=True)
    for path in plan.binds:
        inside = new + path
        os.makedirs(inside, exist_ok=True)
        _bind_readonly(path, inside)
    for link, target in plan.links:
        os.makedirs(os.path.dirname(new + link), exist_ok=True)
        os.symlink(target, new + link)
    dev = new + "/dev"
    for name in _DEVICES:
        open(f"{dev}/{name}", "w").close()
        _mount(f"/dev/{name}", f"{dev}/{name}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    _mount(None, new, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mount_private(plan: Plan, disk_bytes: int, own_proc: bool, uid: int, gid: int) -> None:
    """Child side: fresh working directory, ``/tmp`` and ``/dev/shm``, the pid namespace's
    ``/proc`` (the chroot follows once privileges are gone)."""
    new = plan.root
    for path, mode in ((plan.workdir, "700"), ("/tmp", "1777"), ("/dev/shm", "1777")):
        _mount("tmpfs", new + path, "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={int(disk_bytes)},mode={mode},uid={uid},gid={gid}")
    for path in plan.binds:  # e.g. a virtualenv under /tmp, hidden by the fresh tmpfs
        if path.startswith("/tmp/"):
            os.makedirs(new + path, exist_ok=True)
            _bind_readonly(path, new + path)
    if own_proc:
        try:
            _mount("proc", new + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            pass  # some containers refuse a new proc; /proc then stays empty


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_CAP_HEADER = _CapHeader(0x20080522, 0)  # version 3, this thread
_NO_CAPS = (_CapData * 2)()  # all zero: no capability at all


def _drop_capabilities() -> None:
    """Clear every capability of this process (those of a user namespace included)."""
    _check(_capset_c(ctypes.byref(_CAP_HEADER), _NO_CAPS), "capset")
