"""Limits for a submission's whole process tree, through cgroups.

Resource limits (:mod:`~calcgrade.grader.sandbox.limits`) hold per process, so four
processes could each take the whole memory limit. Where the machine lets the grader
manage cgroups (root, with the v1 ``memory`` and ``pids`` controllers mounted, or a
v2 hierarchy whose controllers are delegated to the grader's group), the limits of a
submission hold for everything it starts:

- memory (``memory.limit_in_bytes`` / ``memory.max``, swap included): every page the
  tree touches counts, tmpfs pages it writes in its private ``/work``, ``/tmp`` and
  ``/dev/shm`` too; past it the kernel's OOM killer kills in the group only, and the
  result's status is ``memory``;
- processes (``pids.max``): forks and threads of the whole tree;
- CPU time: the tree's total (``cpuacct.usage`` / ``cpu.stat``), which the worker
  watches and stops at ``Limits.cpu_seconds`` (status ``timeout``). The ``cpu``
  controller is never used: it makes the group one scheduling entity, which on a
  busy machine cost the pool a third of its throughput (with or without a bandwidth
  cap). Where ``cpuacct`` is mounted together with ``cpu`` (``cpu,cpuacct``), CPU time
  stays limited per process.

The executor creates one *base* group per pool (:func:`create_base`, named after the
pool's private directory) under the grader's own group in each hierarchy. Each worker
makes a :class:`Group` of its own under it and moves itself in once: its submission
children are then *born* in the group, and volunteer as the OOM killer's first
choice (``oom_score_adj`` 1000; the worker is also protected where the grader holds
``CAP_SYS_RESOURCE``). Moving a
process between groups makes the kernel wait for an RCU grace period while every
fork and exit on the machine waits behind it; doing that per submission halved the
pool's throughput on a loaded machine, a group per child made and removed around
each run did not (0.3 ms). Only one submission runs in a worker at a time, so per
run (:class:`RunBudget`) the limits are set from what the group already holds (the
worker's own few pages and reclaimable page cache), and the counters are read as
differences. Nothing of a submission stays in the group after its run: its processes
are killed by the pid namespace's reaper, its tmpfs pages go with its mount
namespace. :func:`remove_base` removes the base and every worker's group when the
pool closes, killing anything left in them.

Without cgroups (not root, a container without them, another OS) :func:`create_base`
says why, and the limits stay per process (rlimits), as the isolation report records.
Standard library only.

>>> parse_own_groups("4:memory:/a/b\\n8:pids:/\\n0::/user.slice\\n")
{'memory': '/a/b', 'pids': '/', '': '/user.slice'}
>>> base = create_base("calcgrade-doctest", mounts=[], own={})
>>> base["unavailable"]
'no cgroup hierarchy with the memory and pids controllers is mounted'
"""

from __future__ import annotations

import errno
import os
import signal
import time

V1_CONTROLLERS = ("memory", "pids", "cpuacct")
REQUIRED = ("memory", "pids")
V2_CONTROLLERS = ("memory", "pids")  # cpu.stat's usage is there without the controller


def parse_own_groups(text: str) -> dict:
    """``/proc/self/cgroup`` as {controller: path}; v2's unified line under ``""``."""
    groups = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for name in parts[1].split(",") if parts[1] else [""]:
            groups[name] = parts[2]
    return groups


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


def _write(path: str, value) -> None:
    with open(path, "w") as handle:
        handle.write(str(value))


def _mounts() -> list[tuple[str, str, str, str]]:
    """(fstype, mount point, root inside the hierarchy, super options) of cgroup mounts."""
    found = []
    try:
        text = _read("/proc/self/mountinfo")
    except OSError:
        return found
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        fields, rest = left.split(), right.split()
        if len(fields) >= 5 and len(rest) >= 3 and rest[0] in ("cgroup", "cgroup2"):
            found.append((rest[0], fields[4], fields[3], rest[2]))
    return found


def _inside(mount_point: str, mount_root: str, own: str) -> str:
    """The directory of group ``own`` under a hierarchy mounted at ``mount_point``."""
    if mount_root != "/" and (own == mount_root or own.startswith(mount_root + "/")):
        own = own[len(mount_root):] or "/"
    return os.path.join(mount_point, own.lstrip("/")).rstrip("/") or "/"


def create_base(name: str, mounts=None, own=None) -> dict:
    """Create the pool's base group(s); plain JSON data for the workers.

    Returns ``{"version": 1 or 2, "dirs": {controller: directory}}``, or
    ``{"unavailable": reason}`` when this process cannot manage cgroups.
    """
    if mounts is None:
        mounts = _mounts()
    if own is None:
        try:
            own = parse_own_groups(_read("/proc/self/cgroup"))
        except OSError:
            own = {}
    v1 = {}
    unified = None
    for fstype, point, root, options in mounts:
        if fstype == "cgroup2":
            unified = unified or (point, root)
            continue
        controllers = options.split(",")
        for controller in controllers:
            if controller == "cpuacct" and "cpu" in controllers:
                continue  # mounted with cpu: joining it would make the group one scheduling entity
            if controller in V1_CONTROLLERS and controller in own and controller not in v1:
                v1[controller] = _inside(point, root, own[controller])
    errors = []
    if all(controller in v1 for controller in REQUIRED):
        base = _create_v1(name, v1, errors)
        if base:
            return base
    if unified is not None and "" in own:
        base = _create_v2(name, _inside(unified[0], unified[1], own[""]), errors)
        if base:
            return base
    if errors:
        return {"unavailable": "; ".join(errors)}
    return {"unavailable": "no cgroup hierarchy with the memory and pids controllers is mounted"}


def _create_v1(name: str, parents: dict, errors: list) -> dict | None:
    dirs, made = {}, []
    try:
        for controller, parent in sorted(parents.items()):
            path = os.path.join(parent, name)
            if path not in made:
                os.mkdir(path, 0o755)
                made.append(path)
            dirs[controller] = path
        if "memory" in dirs:  # the run groups' usage counts towards the base's
            try:
                _write(os.path.join(dirs["memory"], "memory.use_hierarchy"), 1)
            except OSError:
                pass
    except OSError as error:
        errors.append(f"cgroup v1: {error.strerror} ({error.filename})")
        for path in reversed(made):
            _rmdir(path)
        return None
    return {"version": 1, "dirs": dirs}


def _create_v2(name: str, parent: str, errors: list) -> dict | None:
    try:
        available = _read(os.path.join(parent, "cgroup.subtree_control")).split()
    except OSError as error:
        errors.append(f"cgroup v2: {error.strerror}")
        return None
    missing = [c for c in REQUIRED if c not in available]
    if missing:
        errors.append(f"cgroup v2: the controllers {', '.join(missing)} are not delegated "
                      f"to this process's group")
        return None
    path = os.path.join(parent, name)
    try:
        os.mkdir(path, 0o755)
        wanted = [c for c in V2_CONTROLLERS if c in available]
        _write(os.path.join(path, "cgroup.subtree_control"), " ".join("+" + c for c in wanted))
    except OSError as error:
        errors.append(f"cgroup v2: {error.strerror}")
        _rmdir(path)
        return None
    return {"version": 2, "dirs": {"unified": path}}


def describe(base: dict) -> dict:
    """What the base gives each submission, for the isolation report (flat, plain)."""
    if not base or "dirs" not in base:
        reason = (base or {}).get("unavailable", "cgroups not requested")
        return {"cgroup": False, "cgroup_unavailable": reason,
                "memory_limit": "per process (rlimit)", "process_limit": "per user (rlimit)",
                "cpu_limit": "per process (rlimit)"}
    version, dirs = base["version"], base["dirs"]
    cpu = "cpuacct" in dirs if version == 1 else True
    return {"cgroup": f"v{version}", "memory_limit": "whole tree (cgroup)",
            "process_limit": "whole tree (cgroup)",
            "cpu_limit": "whole tree (cgroup)" if cpu else "per process (rlimit)"}


def _rmdir(path: str, attempts: int = 200) -> bool:
    """Remove an empty group; its last tasks may take a moment to leave it."""
    for _ in range(attempts):
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError as error:
            if error.errno != errno.EBUSY:
                return False
            time.sleep(0.001)
    return False


def _kill_tasks(path: str) -> None:
    """SIGKILL every process of a group until it is empty (bounded)."""
    kill_file = os.path.join(path, "cgroup.kill")
    if os.path.exists(kill_file):
        try:
            _write(kill_file, 1)
        except OSError:
            pass
    for _ in range(100):
        try:
            pids = [int(p) for p in _read(os.path.join(path, "cgroup.procs")).split()]
        except (OSError, ValueError):
            return
        pids = [pid for pid in pids if pid != os.getpid()]  # a worker leaving its group
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.002)


def remove_empty_base(base: dict) -> None:
    """Remove the base if nothing is left in it (the last worker of a lost grader)."""
    for path in set((base or {}).get("dirs", {}).values()):
        _rmdir(path, attempts=1)


def remove_base(base: dict) -> None:
    """Kill what is left in the base and its run groups, and remove them all."""
    for path in set((base or {}).get("dirs", {}).values()):
        if not os.path.isdir(path):
            continue
        for inner, children, _ in os.walk(path, topdown=False):
            if inner != path:
                _kill_tasks(inner)
                _rmdir(inner)
        _kill_tasks(path)
        _rmdir(path)


class Group:
    """One cgroup (a directory per hierarchy in v1) under a pool's base.

    >>> Group({"unavailable": "no cgroups"}, "worker-1").active
    False
    """

    def __init__(self, base: dict, name: str):
        self.version = (base or {}).get("version")
        self.dirs = {controller: os.path.join(path, name)
                     for controller, path in (base or {}).get("dirs", {}).items()}
        self.active = False

    def _dir(self, controller: str) -> str | None:
        if self.version == 2:
            return self.dirs.get("unified")
        return self.dirs.get(controller)

    def create(self, memory_bytes: int, processes: int) -> None:
        """Make the group(s) and set the limits; OSError when the kernel refuses."""
        made = []
        try:
            for path in sorted(set(self.dirs.values())):
                os.mkdir(path, 0o755)
                made.append(path)
            self.set_limits(memory_bytes, processes)
        except OSError:
            for path in made:
                _rmdir(path)
            raise
        self.active = True

    def set_limits(self, memory_bytes: int, processes: int) -> None:
        """Set (or change) the group's limits; OSError if refused."""
        memory, processes = int(memory_bytes), int(processes)
        if self.version == 1:
            memory_dir = self.dirs["memory"]
            files = [os.path.join(memory_dir, "memory.limit_in_bytes")]
            swap = os.path.join(memory_dir, "memory.memsw.limit_in_bytes")
            if os.path.exists(swap):  # memory + swap may never be below memory alone
                files.append(swap)
                if memory > int(_read(swap)):
                    files.reverse()
            for path in files:
                _write(path, memory)
            _write(os.path.join(self.dirs["pids"], "pids.max"), processes)
        else:
            path = self.dirs["unified"]
            _write(os.path.join(path, "memory.max"), memory)
            if os.path.exists(os.path.join(path, "memory.swap.max")):
                _write(os.path.join(path, "memory.swap.max"), 0)
            _write(os.path.join(path, "pids.max"), processes)

    def join(self) -> None:
        """Move this process into the group(s)."""
        for path in sorted(set(self.dirs.values())):
            _write(os.path.join(path, "cgroup.procs"), 0)

    def memory_bytes(self) -> int:
        """What the group holds now (its processes' pages and its page cache)."""
        name = "memory.usage_in_bytes" if self.version == 1 else "memory.current"
        return int(_read(os.path.join(self._dir("memory"), name)))

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the group's processes (None if not accounted)."""
        try:
            if self.version == 1:
                if "cpuacct" not in self.dirs:
                    return None
                return int(_read(os.path.join(self.dirs["cpuacct"], "cpuacct.usage"))) / 1e9
            for line in _read(os.path.join(self.dirs["unified"], "cpu.stat")).splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError):
            pass
        return None

    def processes(self) -> int | None:
        """Tasks in the group now (the worker counts; None where it cannot be read)."""
        try:
            return int(_read(os.path.join(self._dir("pids"), "pids.current")))
        except (OSError, ValueError, TypeError):
            return None

    def oom_kills(self) -> int:
        """Processes of the group the memory limit has killed so far."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        try:
            for line in _read(os.path.join(self._dir("memory"), name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def peak_bytes(self) -> int | None:
        """Highest memory use since :meth:`reset_peak` (None where the kernel cannot say)."""
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            return int(_read(os.path.join(self._dir("memory"), name)))
        except (OSError, ValueError):
            return None

    def reset_peak(self) -> None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        try:
            _write(os.path.join(self._dir("memory"), name), 0)
        except OSError:
            pass

    def remove(self) -> bool:
        """Kill anything left in the group and remove it; True when nothing remains."""
        if not self.active:
            return True
        removed = True
        for path in sorted(set(self.dirs.values())):
            _kill_tasks(path)
            removed = _rmdir(path) and removed
        self.active = False
        return removed


def protect_from_oom() -> bool:
    """Make the OOM killer pass over this process (needs CAP_SYS_RESOURCE)."""
    try:
        _write("/proc/self/oom_score_adj", -1000)
        return True
    except OSError:
        return False


def expose_to_oom() -> None:
    """In a submission child: be the OOM killer's first choice (raising needs no
    privilege), so that the tree, not the worker sharing its group, is killed."""
    try:
        _write("/proc/self/oom_score_adj", 1000)
    except OSError:
        pass


class WorkerGroup:
    """The worker's own group: the worker moves in once, its children are born in it."""

    IDLE_MEMORY = 64 * 1024 * 1024 * 1024
    IDLE_PROCESSES = 1 << 20

    def __init__(self, base: dict):
        self.group = Group(base, f"worker-{os.getpid()}")

    def enter(self) -> None:
        """Create the group and move this process in (OSError if the kernel refuses)."""
        protect_from_oom()  # where allowed; the children volunteer first anyway
        self.group.create(self.IDLE_MEMORY, self.IDLE_PROCESSES)
        try:
            self.group.join()
        except OSError:
            self.group.remove()
            raise

    def relax(self) -> None:
        """Between runs: no submission's limit applies to the worker's own work."""
        try:
            self.group.set_limits(self.IDLE_MEMORY, self.IDLE_PROCESSES)
        except OSError:
            pass

    def leave(self) -> None:
        """Move back to the group the worker came from, and remove this one."""
        if not self.group.active:
            return
        for controller, path in self.group.dirs.items():
            parent = os.path.dirname(os.path.dirname(path))  # above the pool's base
            try:
                _write(os.path.join(parent, "cgroup.procs"), 0)
            except OSError:
                pass
        self.group.remove()


class RunBudget:
    """One submission's share of its worker's group: limits and counters of the run.

    Set right before the request is handed to the child: the memory limit is the
    run's limit on top of what the group already holds, ``processes + 1`` counts the
    worker, and CPU time and OOM kills are read as differences from here on (the
    worker's own CPU time is taken out).
    """

    def __init__(self, group: Group, memory_bytes: int, processes: int):
        self.group = group
        held = group.memory_bytes()
        group.set_limits(memory_bytes + held, processes + 1)
        group.reset_peak()
        self.held = held
        self.oom_start = group.oom_kills()
        self.cpu_start = group.cpu_seconds()
        self.own_start = time.process_time()

    def cpu_seconds(self) -> float | None:
        """CPU time of the submission's processes so far."""
        now = self.group.cpu_seconds()
        if now is None or self.cpu_start is None:
            return None
        return max(0.0, now - self.cpu_start - (time.process_time() - self.own_start))

    def report(self) -> dict:
        """``oom_kills`` of the run, ``memory_peak`` bytes and ``tree_cpu_seconds``."""
        peak = self.group.peak_bytes()
        return {"oom_kills": max(0, self.group.oom_kills() - self.oom_start),
                "memory_peak": None if peak is None else max(0, peak - self.held),
                "tree_cpu_seconds": self.cpu_seconds()}
