"""Hostile notebooks against the real sandbox: nothing passes between submissions,
limits hold for the whole notebook, forged results stay data.

A "leaver" notebook leaves behind everything it can: SysV shared memory, a message
queue and a semaphore set, a POSIX message queue, keys in its session and user
keyrings, files in its folder, ``/tmp`` and ``/dev/shm``, and a daemon (double fork,
new session, its own process group). A "prober" looks for all of it, after it
(same worker) or at the same time (the other worker). After the batch the host is
checked directly: ``/proc/sysvipc``, ``/proc/key-users``, ``/proc``, the cgroup
hierarchies and the temp folders.

Where the kernel refuses a mechanism the run's isolation report says so and the
matching assertion is skipped with the reason.
"""

from __future__ import annotations

import os
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from calcgrade.grader.sandbox import Limits, SandboxExecutor, marker_kind

pytestmark = pytest.mark.slow

LIMITS = Limits(wall_seconds=10, memory_bytes=1024 * 1024 * 1024, processes=32,
                output_bytes=256 * 1024, call_seconds=1.0)
IPC_KEY = 0x5CA1AB1E
NAME = "calcgrade-leak"

COMMON = f"""
import ctypes, os, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
KEY = {IPC_KEY}
NAME = {NAME!r}
SYS_ADD_KEY, SYS_KEYCTL = 248, 250   # x86_64
SESSION, USER = -3, -4
def err():
    return os.strerror(ctypes.get_errno())
def add_key(ring):
    r = libc.syscall(ctypes.c_long(SYS_ADD_KEY), b"user", NAME.encode(), b"payload",
                     ctypes.c_size_t(7), ctypes.c_long(ring))
    return r if r >= 0 else err()
def search_key(ring):
    r = libc.syscall(ctypes.c_long(SYS_KEYCTL), ctypes.c_long(10), ctypes.c_long(ring),
                     b"user", NAME.encode(), ctypes.c_long(0))
    return r if r >= 0 else None
"""

LEAVE = COMMON + """
made = {}
made["shm"] = libc.shmget(KEY, 4096, 0o1666)
made["msg"] = libc.msgget(KEY, 0o1666)
made["sem"] = libc.semget(KEY, 1, 0o1666)
made["mqueue"] = libc.mq_open(("/" + NAME).encode(), os.O_CREAT | os.O_RDWR, 0o666, None)
made["session_key"] = add_key(SESSION)
made["user_key"] = add_key(USER)
for path in ("/tmp/" + NAME, "/dev/shm/" + NAME, NAME):
    try:
        with open(path, "w") as handle:
            handle.write("left behind")
        made[path] = "written"
    except OSError as error:
        made[path] = type(error).__name__
if os.fork() == 0:  # a daemon: new session, second fork, renamed, sleeping on
    os.setsid()
    if os.fork() == 0:
        libc.prctl(15, NAME.encode(), 0, 0, 0)  # PR_SET_NAME
        time.sleep(600)
    os._exit(0)
os.wait()
time.sleep(HOLD)
"""

PROBE = COMMON + """
time.sleep(WAIT)
seen = {}
seen["shm"] = libc.shmget(KEY, 0, 0) >= 0
seen["msg"] = libc.msgget(KEY, 0) >= 0
seen["sem"] = libc.semget(KEY, 0, 0) >= 0
seen["mqueue"] = libc.mq_open(("/" + NAME).encode(), os.O_RDWR, 0, None) >= 0
seen["session_key"] = search_key(SESSION) is not None
seen["user_key"] = search_key(USER) is not None
for path in ("/tmp/" + NAME, "/dev/shm/" + NAME, NAME):
    seen[path] = os.path.exists(path)
names = []
for entry in os.listdir("/proc"):  # pid 1 is the namespace's reaper
    if entry.isdigit() and int(entry) not in (1, os.getpid()):
        try:
            names.append(open(f"/proc/{entry}/comm").read().strip())
        except OSError:
            pass
seen["daemon"] = NAME in names
others = sorted(n for n in names if n != NAME)
"""


def _notebook(folder, name: str, source: str) -> str:
    path = os.path.join(folder, name)
    nbformat.write(new_notebook(cells=[new_code_cell(source)]), path)
    return path


def _sysv_keys() -> set:
    """Keys of the host's SysV objects, from /proc/sysvipc (as ``ipcs`` shows them)."""
    keys = set()
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as handle:
                next(handle)
                keys.update(int(line.split()[0]) for line in handle if line.strip())
        except OSError:
            pass
    return keys


def _processes(uids: set, name: str) -> list:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                comm = open(f"/proc/{entry}/comm").read().strip()
                if os.stat(f"/proc/{entry}").st_uid in uids or comm == name:
                    found.append((int(entry), comm))
            except OSError:
                pass
    return found


def _key_users() -> set:
    try:
        with open("/proc/key-users") as handle:
            return {int(line.split(":")[0]) for line in handle if line.strip()}
    except OSError:
        return set()


def _wait_until(condition, seconds: float = 5.0) -> bool:
    """The kernel frees keys and exiting tasks asynchronously: poll briefly."""
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def _assert_made_everything(made: dict, isolation: dict) -> None:
    for what in ("shm", "msg", "sem", "mqueue", "session_key", "user_key"):
        assert type(made[what]) is int and made[what] >= 0, (what, made[what])
    for path in ("/tmp/" + NAME, "/dev/shm/" + NAME, NAME):
        if path.startswith("/dev/shm") and not isolation.get("filesystem"):
            continue
        assert made[path] == "written", (path, made[path])


def _assert_saw_nothing(seen: dict, isolation: dict) -> None:
    if not isolation.get("ipc"):
        pytest.skip(f"this kernel refused an IPC namespace: {isolation}")
    if not isolation.get("user_namespace"):
        pytest.skip(f"this kernel refused a user namespace per submission: {isolation}")
    assert seen == {key: False for key in seen}, seen


def _assert_host_clean(before_keys: set, uids: set, leftovers: list) -> None:
    assert IPC_KEY not in _sysv_keys() or IPC_KEY in before_keys
    assert _wait_until(lambda: _processes(uids, NAME) == []), _processes(uids, NAME)
    assert _wait_until(lambda: not (_key_users() & uids)), _key_users() & uids
    for path in leftovers:
        assert not os.path.exists(path), path


def _sandbox_uids(*results) -> set:
    """The uids the submissions ran as (when the grader is root and dropped to them)."""
    return {r.isolation["user"] for r in results if r.isolation.get("user", 0) != 0}


def _pool_paths(pool: SandboxExecutor) -> list:
    """What the pool made on the host: its folder, its cgroups, its uid lock file."""
    paths = [pool.directory] + list(pool.cgroup_base.get("dirs", {}).values())
    return paths + ([pool.uid_lock] if pool.uid_lock else [])


def test_a_later_submission_on_the_same_worker_finds_nothing(tmp_path):
    leave = _notebook(tmp_path, "leave.ipynb", LEAVE.replace("HOLD", "0"))
    probe = _notebook(tmp_path, "probe.ipynb", PROBE.replace("WAIT", "0"))
    before = _sysv_keys()
    with SandboxExecutor(workers=1, limits=LIMITS) as pool:
        left = pool.run(leave, ["made"])
        found = pool.run(probe, ["seen", "others"])
        leftovers = _pool_paths(pool)
    uids = _sandbox_uids(left, found)
    assert left.status == "ok", left.reason + left.stdout
    assert found.status == "ok", found.reason + found.stdout
    _assert_made_everything(left.answers["made"], left.isolation)
    _assert_host_clean(before, uids, leftovers)
    _assert_saw_nothing(found.answers["seen"], found.isolation)
    assert found.answers["others"] == []


def test_a_concurrent_submission_finds_nothing(tmp_path):
    # The leaver holds its objects for 3 s; the prober looks after 1 s, on the other
    # worker (a slow start only makes the prober look earlier, never fail wrongly).
    leave = _notebook(tmp_path, "leave.ipynb", LEAVE.replace("HOLD", "3"))
    probe = _notebook(tmp_path, "probe.ipynb", PROBE.replace("WAIT", "1"))
    before = _sysv_keys()
    with SandboxExecutor(workers=2, limits=LIMITS) as pool:
        left, found = pool.run_many([(leave, ["made"], {}), (probe, ["seen", "others"], {})])
        leftovers = _pool_paths(pool)
    uids = _sandbox_uids(left, found)
    assert left.status == "ok" and found.status == "ok", left.reason + found.reason
    _assert_made_everything(left.answers["made"], left.isolation)
    _assert_host_clean(before, uids, leftovers)
    _assert_saw_nothing(found.answers["seen"], found.isolation)


def test_two_pools_at_once_get_distinct_uids_and_cgroups():
    if os.geteuid() != 0:
        pytest.skip("sandbox uids are only assigned when the grader is root")
    with SandboxExecutor(workers=2, limits=LIMITS) as one, \
            SandboxExecutor(workers=2, limits=LIMITS) as two:
        first = set(range(one.sandbox_uid, one.sandbox_uid + 1024))
        second = set(range(two.sandbox_uid, two.sandbox_uid + 1024))
        assert not first & second
        assert one.uid_lock != two.uid_lock and os.path.exists(one.uid_lock)
        assert not set(one.cgroup_base.get("dirs", {}).values()) & \
            set(two.cgroup_base.get("dirs", {}).values())


def _cgroup_pool(limits: Limits = LIMITS):
    pool = SandboxExecutor(workers=1, limits=limits).start()
    if not pool.isolation.get("cgroup"):
        pool.close()
        pytest.skip(f"no cgroups: {pool.isolation.get('cgroup_unavailable')}")
    return pool


FOUR_CHILDREN = """
import os
SHARE = {share}
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(b"x") * SHARE  # touched: every page is resident
        import time
        time.sleep(1.5)
        os._exit(0)
    children.append(pid)
statuses = [os.waitpid(pid, 0)[1] for pid in children]
finished = sum(1 for status in statuses if status == 0)
"""


def test_memory_is_limited_for_the_whole_tree(tmp_path):
    # Each child's share (160 MiB) is well below the per-process limit (512 MiB); the
    # four together are above it.
    path = _notebook(tmp_path, "four.ipynb", FOUR_CHILDREN.format(share=160 * 1024 * 1024))
    pool = _cgroup_pool(LIMITS.replace(memory_bytes=512 * 1024 * 1024))
    try:
        result = pool.run(path, ["finished"])
    finally:
        pool.close()
    assert result.status == "memory", (result.status, result.reason)
    assert "512 MiB" in result.reason
    if result.answers:  # the notebook's own process survived and reported
        assert result.answers["finished"] < 4


FILL_TMPFS = """
import os
written = 0
chunk = b"x" * (16 * 1024 * 1024)
try:
    for number in range(96):  # 1.5 GiB across the three private tmpfs
        folder = ("/dev/shm", "/tmp", ".")[number % 3]
        with open(f"{folder}/fill-{number}", "wb") as handle:
            handle.write(chunk)
        written += len(chunk)
except OSError as error:
    failure = type(error).__name__
"""


def test_files_written_in_the_private_folders_count_as_memory(tmp_path):
    limits = LIMITS.replace(memory_bytes=512 * 1024 * 1024, disk_bytes=1024 * 1024 * 1024,
                            file_bytes=1024 * 1024 * 1024)
    path = _notebook(tmp_path, "fill.ipynb", FILL_TMPFS)
    pool = _cgroup_pool(limits)
    try:
        if not pool.isolation.get("filesystem"):
            pytest.skip("no private filesystem: files go to a host folder")
        result = pool.run(path, ["written"])
    finally:
        pool.close()
    if result.status == "ok":  # the kernel refused the pages: the writes failed
        assert result.answers["written"] < 512 * 1024 * 1024
    else:
        assert result.status == "memory", (result.status, result.reason)


FORK_BOMB = """
import os, time
def bomb():
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(0.01)
if os.fork() == 0:
    bomb()
time.sleep(1.0)
count = sum(1 for entry in os.listdir("/proc") if entry.isdigit())
"""


def test_a_fork_bomb_stays_within_the_process_limit(tmp_path):
    limits = LIMITS.replace(processes=12)
    path = _notebook(tmp_path, "bomb.ipynb", FORK_BOMB)
    with SandboxExecutor(workers=1, limits=limits) as pool:
        result = pool.run(path, ["count"])
        again = pool.run(_notebook(tmp_path, "after.ipynb", "ok = 1"), ["ok"])
        isolation = pool.isolation
    uids = _sandbox_uids(result, again)
    assert result.status == "ok", result.reason
    assert again.answers == {"ok": 1}  # the pool still works
    if os.geteuid() == 0 and result.isolation.get("user"):
        assert again.isolation["user"] != result.isolation["user"]  # a uid per run
    if isolation.get("pids"):
        assert result.answers["count"] <= 12 + 1  # + the namespace's reaper
    assert _wait_until(lambda: _processes(uids, NAME) == []), _processes(uids, NAME)


SPINNERS = """
import os, signal
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        while True:
            pass
    children.append(pid)
for pid in children:
    os.waitpid(pid, 0)
done = True
"""


def test_cpu_time_is_limited_for_the_whole_tree(tmp_path):
    # Each spinner would stop at its own RLIMIT_CPU (+1 s hard), after which the
    # notebook's process, idle meanwhile, would finish "ok". Counted together, the
    # three reach the limit first and the notebook is stopped.
    limits = LIMITS.replace(wall_seconds=30, cpu_seconds=1)
    pool = _cgroup_pool(limits)
    try:
        result = pool.run(_notebook(tmp_path, "spin.ipynb", SPINNERS), ["done"])
    finally:
        pool.close()
    assert result.status == "timeout" and "CPU" in result.reason, result.reason


def _forged(body: str) -> str:
    """A notebook that writes its own result frame on the result pipe and exits."""
    return ("import os, struct\n"
            f"body = bytes.fromhex({body.encode().hex()!r})\n"
            "os.write(3, struct.pack('>I', len(body)) + body)\n"
            "os._exit(0)")


def test_forged_results_become_markers_or_a_crash_never_a_grader_error(tmp_path):
    huge = ('{"answers": {"x": ' + "7" * 4000 + ', "y": ' + "[" * 200 + "]" * 200 +
            ', "z": "a\\ud800b"}, "functions": {}, "cell_errors": [{"cell": 1e999, '
            '"name": 3}], "isolation": {"network": 1e999}}')
    deep = '{"answers": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    with SandboxExecutor(workers=1, limits=LIMITS) as pool:
        forged = pool.run(_notebook(tmp_path, "huge.ipynb", _forged(huge)), ["x", "y", "z"])
        nested = pool.run(_notebook(tmp_path, "deep.ipynb", _forged(deep)), ["x"])
    assert forged.status == "ok", forged.reason
    assert marker_kind(forged.answers["x"]) == "too_large"
    depth, value = 0, forged.answers["y"]
    while type(value) is list and value:
        depth, value = depth + 1, value[0]
    assert marker_kind(value) == "too_large" and depth < 64
    assert forged.answers["z"] == "a\ufffdb"
    assert forged.cell_errors == ()
    forged.to_json().encode("utf-8")  # the grader can store and print all of it
    assert nested.status == "crashed" and "unreadable result" in nested.reason


GRADER = """
import json, sys, time
from calcgrade.grader.sandbox import SandboxExecutor
pool = SandboxExecutor(workers=2).start()
print(json.dumps({"paths": [pool.directory] + list(pool.cgroup_base.get("dirs", {}).values())
                  + ([pool.uid_lock] if pool.uid_lock else []),
                  "workers": pool.worker_pids()}), flush=True)
time.sleep(600)
"""


def test_a_killed_grader_leaves_nothing_behind():
    import json
    import signal
    import subprocess
    import sys

    grader = subprocess.Popen([sys.executable, "-c", GRADER], stdout=subprocess.PIPE, text=True)
    try:
        made = json.loads(grader.stdout.readline())
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
        grader.stdout.close()
    assert made["paths"] and all(os.path.exists(path) for path in made["paths"])
    # The workers notice that the grader is gone and clean up after it.
    assert _wait_until(lambda: not any(os.path.exists(path) for path in made["paths"]), 20), \
        [path for path in made["paths"] if os.path.exists(path)]
    assert _wait_until(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in made["workers"]))


def test_without_a_private_root_files_left_in_shared_temp_folders_are_removed(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("only a root grader runs submissions as a uid of their own to clean up after")
    name = f"{NAME}-{os.getpid()}"
    source = ("import os\nmade = []\n"
              f"for folder in ('/tmp', '/dev/shm', '/var/tmp'):\n"
              f"    path = os.path.join(folder, {name!r})\n"
              "    try:\n        open(path, 'w').write('left behind')\n        made.append(path)\n"
              "    except OSError:\n        pass\n")
    with SandboxExecutor(workers=1, limits=LIMITS, isolate=False) as pool:
        result = pool.run(_notebook(tmp_path, "leave.ipynb", source), ["made"])
    assert result.status == "ok" and result.isolation["filesystem"] is False
    assert "/tmp/" + name in result.answers["made"]  # it could write on the host...
    for path in result.answers["made"]:
        assert not os.path.exists(path), path  # ...and nothing of it stays
