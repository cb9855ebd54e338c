"""The real sandbox: worker processes running real notebooks (no mocks).

Most tests share one pool (``sandbox`` fixture, 2 workers, 5 s wall clock); the
tests that kill or restart workers start their own.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

import pytest

from calcgrade.grader.sandbox import Job, SandboxExecutor, marker_kind

from .conftest import SECRET, TEST_LIMITS

pytestmark = pytest.mark.slow

MANY_TYPES = """
import numpy as np, sympy as sp
from fractions import Fraction
x = sp.Symbol("x")
a_int = 3
a_float = 0.1
a_bool = True
a_str = "minimum"
a_none = None
a_list = [1, 2.5, [3, 4]]
a_tuple = (1.0, 2.0)
a_dict = {"w": [0.5, -0.5], "b": 0.1}
np_scalar = np.float64(2.5)
np_int = np.int32(7)
np_vector = np.array([1.0, 2.0, 3.0])
np_matrix = np.eye(2)
np_nan = np.array([np.nan, np.inf, -np.inf])
np_complex = np.complex128(1 + 2j)
sympy_expr = sp.diff(x * sp.exp(x), x)
sympy_number = sp.Rational(3, 4)
sympy_matrix = sp.hessian(x**3, [x])
fraction = Fraction(1, 8)
unanswered = ...
func = np.sum
"""


def test_answers_of_many_types_come_back_as_plain_data(sandbox, notebook):
    names = ["a_int", "a_float", "a_bool", "a_str", "a_none", "a_list", "a_tuple", "a_dict",
             "np_scalar", "np_int", "np_vector", "np_matrix", "np_nan", "np_complex",
             "sympy_expr", "sympy_number", "sympy_matrix", "fraction", "unanswered", "func",
             "not_defined"]
    result = sandbox.run(notebook(MANY_TYPES), names)
    assert result.status == "ok", result.reason + result.stdout
    a = result.answers
    assert (a["a_int"], a["a_float"], a["a_bool"], a["a_str"], a["a_none"]) == \
        (3, 0.1, True, "minimum", None)
    assert a["a_list"] == [1, 2.5, [3, 4]] and a["a_tuple"] == [1.0, 2.0]
    assert a["a_dict"] == {"w": [0.5, -0.5], "b": 0.1}
    assert (a["np_scalar"], a["np_int"]) == (2.5, 7)
    assert a["np_vector"] == [1.0, 2.0, 3.0] and a["np_matrix"] == [[1.0, 0.0], [0.0, 1.0]]
    assert [marker_kind(v) for v in a["np_nan"]] == ["nan", "inf", "-inf"]
    assert a["np_complex"] == {"$marker": "complex", "real": 1.0, "imag": 2.0}
    assert a["sympy_expr"] == "x*exp(x) + exp(x)" and a["sympy_number"] == 0.75
    assert a["sympy_matrix"] == [["6*x"]] and a["fraction"] == 0.125
    assert marker_kind(a["unanswered"]) == "unanswered"
    assert marker_kind(a["func"]) == "unconvertible"
    assert marker_kind(a["not_defined"]) == "missing"
    json.dumps(result.to_dict(), allow_nan=False)


def test_function_answers_are_called_on_test_inputs_with_a_budget(sandbox, notebook):
    path = notebook("import numpy as np\n"
                    "def sigmoid_prime(z):\n    s = 1 / (1 + np.exp(-z))\n    return s * (1 - s)\n"
                    "def add(a, b):\n    return a + b\n"
                    "def broken(z):\n    return z / 0 if z > 5 else undefined_name\n"
                    "def slow(z):\n    while True:\n        pass\n"
                    "not_a_function = 3")
    result = sandbox.run(path, [], {"sigmoid_prime": [0, [0.0, 0.0]], "add": [{"args": [1, [1, 2]]}],
                                    "broken": [1, 10], "slow": [1], "not_a_function": [1],
                                    "absent": [1, 2]})
    assert result.status == "ok", result.reason
    f = result.function_results
    assert f["sigmoid_prime"] == [0.25, [0.25, 0.25]]
    assert f["add"] == [[2.0, 3.0]]
    assert [v["error"] for v in f["broken"]] == ["NameError", "ZeroDivisionError"]
    assert marker_kind(f["slow"][0]) == "timeout"
    assert marker_kind(f["not_a_function"][0]) == "unconvertible"
    assert [marker_kind(v) for v in f["absent"]] == ["missing", "missing"]


def test_an_infinite_loop_times_out_at_the_wall_clock_limit(sandbox, notebook):
    limits = TEST_LIMITS.replace(wall_seconds=2)
    result = sandbox.run(notebook("x = 1", "while True:\n    pass"), ["x"], limits=limits)
    assert result.status == "timeout"
    assert "2 s" in result.reason and result.answers == {}
    assert 2 <= result.seconds < 2 + 3  # stopped by the limit, not by chance


def test_the_cpu_limit_stops_a_busy_loop_before_the_wall_clock(sandbox, notebook):
    limits = TEST_LIMITS.replace(wall_seconds=20, cpu_seconds=1)
    result = sandbox.run(notebook("while True:\n    pass"), [], limits=limits)
    assert result.status == "timeout" and "CPU" in result.reason
    assert result.seconds < 20


def test_a_loop_that_ignores_signals_and_sleeps_still_times_out(sandbox, notebook):
    source = ("import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
              "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)")
    result = sandbox.run(notebook(source), [], limits=TEST_LIMITS.replace(wall_seconds=1.5))
    assert result.status == "timeout"


def test_unbounded_allocation_is_a_memory_status(sandbox, notebook):
    limits = TEST_LIMITS.replace(memory_bytes=512 * 1024 * 1024)
    path = notebook("before = 1", "chunks = []\nwhile True:\n    chunks.append(bytearray(32 * 2**20))",
                    "del chunks\nafter = 2")
    result = sandbox.run(path, ["before", "after"], limits=limits)
    assert result.status == "memory", result.reason
    assert "cell 1" in result.reason and "512 MiB" in result.reason
    assert result.answers == {"before": 1, "after": 2}  # later cells still ran


def test_os_exit_is_a_crash_with_the_exit_code(sandbox, notebook):
    result = sandbox.run(notebook("x = 1", "import os\nos._exit(1)"), ["x"])
    assert result.status == "crashed"
    assert "code 1" in result.reason and result.answers == {}


def test_a_segfault_is_a_crash_naming_the_signal(sandbox, notebook):
    result = sandbox.run(notebook("import ctypes\nctypes.string_at(0)"), [])
    assert result.status == "crashed" and "SIGSEGV" in result.reason


def _processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except OSError:
                pass
    return found


def test_a_fork_bomb_is_contained_and_cleaned_up(sandbox, notebook):
    source = ("import os, time\nforks = 0\nfor i in range(200):\n    try:\n"
              "        pid = os.fork()\n    except OSError:\n        break\n"
              "    if pid == 0:\n        time.sleep(60)\n        os._exit(0)\n    forks += 1")
    limits = TEST_LIMITS.replace(processes=8)
    result = sandbox.run(notebook(source), ["forks"], limits=limits)
    assert result.status == "ok", result.reason
    assert 0 <= result.answers["forks"] < 8
    user = result.isolation.get("user")
    if os.geteuid() == 0 and isinstance(user, int) and user != 0:
        assert _processes_of(user) == []  # nothing left behind
    assert sandbox.run(notebook("!true\nok = 1"), ["ok"]).answers == {"ok": 1}


def test_the_submission_cannot_see_the_secret_or_the_grader(sandbox, notebook, tmp_path):
    assert os.environ["CALCGRADE_SECRET"] == SECRET  # the grader has it
    source = ("import os, glob\nenv = dict(os.environ)\nleaks = []\n"
              "for path in glob.glob('/proc/*/environ'):\n    try:\n"
              "        if b'CALCGRADE' in open(path, 'rb').read():\n            leaks.append(path)\n"
              "    except OSError:\n        pass\n"
              f"try:\n    open('/proc/{os.getpid()}/environ', 'rb').read()\n    grader = 'readable'\n"
              "except OSError as e:\n    grader = type(e).__name__\n")
    result = sandbox.run(notebook(source), ["env", "leaks", "grader"])
    assert result.status == "ok", result.reason
    env = result.answers["env"]
    assert "CALCGRADE_SECRET" not in env and SECRET not in json.dumps(env)
    assert set(env) <= {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE",
                        "PYTHONNOUSERSITE", "PYTHONIOENCODING", "OPENBLAS_NUM_THREADS",
                        "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS", "MPLBACKEND",
                        "IPYTHONDIR", "TMPDIR", "TERM", "PWD", "MPLCONFIGDIR", "PYTHONPATH"}
    assert result.answers["leaks"] == [] and result.answers["grader"] != "readable"


def test_writes_outside_the_private_directory_fail_or_stay_private(sandbox, notebook, tmp_path):
    marker_name = f"pwned-{uuid.uuid4().hex}"
    host_dir = tmp_path / "course"
    host_dir.mkdir()
    os.chmod(host_dir, 0o777)  # even a world-writable host folder must be out of reach
    targets = [str(host_dir / marker_name), f"/tmp/{marker_name}", f"/etc/{marker_name}",
               os.path.join(os.path.dirname(os.path.abspath(__file__)), marker_name)]
    source = ("import os\nresults = {}\n"
              f"for path in {targets!r}:\n    try:\n        with open(path, 'w') as f:\n"
              "            f.write('x')\n        results[path] = 'written'\n"
              "    except OSError as e:\n        results[path] = type(e).__name__\n"
              "with open('mine.txt', 'w') as f:\n    f.write('ok')\nhere = sorted(os.listdir('.'))\n"
              "cwd = os.getcwd()")
    result = sandbox.run(notebook(source, name="alice.ipynb"), ["results", "here", "cwd"])
    assert result.status == "ok", result.reason
    for path in targets:
        assert not os.path.exists(path), path  # nothing reached the host
    # Only the copy, then its file: no bound host path (this checkout may live under
    # /work on the host) shows in the working directory.
    assert result.answers["here"] == ["alice.ipynb", "mine.txt"]
    if result.isolation.get("filesystem"):
        assert result.answers["cwd"] == result.isolation["workdir"]
        assert result.answers["cwd"] in ("/work", "/work-1", "/work-2")
        assert result.answers["results"][str(host_dir / marker_name)] != "written"


def test_the_network_is_unreachable_when_isolated(sandbox, notebook):
    if not sandbox.isolation.get("network"):
        pytest.skip("this kernel refused a network namespace")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    try:
        source = ("import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', "
                  f"{port}), timeout=1)\n    outcome = 'connected'\nexcept OSError as e:\n"
                  "    outcome = type(e).__name__")
        result = sandbox.run(notebook(source), ["outcome"])
    finally:
        server.close()
    assert result.network_isolated is True
    assert result.answers["outcome"] != "connected"


def test_magics_and_shell_commands_do_not_break_extraction(sandbox, notebook):
    # %matplotlib loads matplotlib in the child (about 0.6 s of CPU alone): a wall-clock
    # budget to match, so a loaded machine does not turn it into a timeout.
    path = notebook("%matplotlib inline", "a = 1", "!ls\nb = 2", "%time c = a + b",
                    "files = !ls\nd = 4", "%%time\ne = 5")
    result = sandbox.run(path, ["a", "b", "c", "d", "e"], limits=TEST_LIMITS.replace(wall_seconds=30))
    assert result.status == "ok", result.reason
    assert result.answers["b"] == 2 and result.answers["c"] == 3
    assert result.answers["d"] == 4 and result.answers["e"] == 5
    assert "Wall time" in result.stdout


def test_a_cell_that_raises_does_not_stop_later_cells(sandbox, notebook):
    path = notebook(("md", "# Q1"), "x = 1", "raise ValueError('bad input')", "def f(:\n  pass",
                    "y = x + 1", "import sys\nsys.exit(3)", "name = input('name? ')", "z = 3")
    result = sandbox.run(path, ["x", "y", "z"])
    assert result.status == "ok"
    assert result.answers == {"x": 1, "y": 2, "z": 3}
    assert [(e.cell, e.name) for e in result.cell_errors] == \
        [(2, "ValueError"), (3, "SyntaxError"), (5, "SystemExit"), (6, "EOFError")]
    assert result.cell_errors[0].message == "bad input"
    assert "ValueError" in result.stdout


def test_redefined_library_functions_and_lying_objects_cannot_fake_numbers(sandbox, notebook):
    source = """
import json, numpy as np, builtins
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.isfinite = lambda *a, **k: True
json.dumps = lambda *a, **k: '{"answers": {"x": 1.0}}'
class Anything(float):
    def __eq__(self, other): return True
class Liar:
    def __float__(self): return 0.5
    def __eq__(self, other): return True
    def __iter__(self): return iter([0.5])
    def __len__(self): return 1
x = Liar()
y = Anything(1.0)
z = [Liar(), 2.0]
w = np.array([np.nan])
"""
    result = sandbox.run(notebook(source), ["x", "y", "z", "w"])
    assert result.status == "ok", result.reason
    assert marker_kind(result.answers["x"]) == "unconvertible"
    assert result.answers["x"]["type"] == "Liar"
    assert marker_kind(result.answers["y"]) == "unconvertible"
    assert marker_kind(result.answers["z"][0]) == "unconvertible" and result.answers["z"][1] == 2.0
    assert marker_kind(result.answers["w"][0]) == "nan"


def test_print_floods_are_stopped_and_the_output_capped(sandbox, notebook):
    limits = TEST_LIMITS.replace(output_bytes=64 * 1024, output_tail=500)
    flood = sandbox.run(notebook("while True:\n    print('spam ' * 20)"), [], limits=limits)
    assert flood.status == "output_limit" and "64 KiB" not in flood.reason
    assert len(flood.stdout) <= 500 and "spam" in flood.stdout
    shell_flood = sandbox.run(notebook("!yes"), [], limits=limits)
    assert shell_flood.status == "output_limit"
    chatty = sandbox.run(notebook("for i in range(2000):\n    print(i)\nx = 1"), ["x"],
                         limits=limits)
    assert chatty.status == "ok" and chatty.answers == {"x": 1}
    assert chatty.stdout.endswith("1999\n") and len(chatty.stdout) <= 500


@pytest.mark.parametrize("data", [b"{not json", b'{"a": 1}', b"\x00\x01\x02\xff binary",
                                  b""])
def test_invalid_files_are_reported_without_running(sandbox, tmp_path, data):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(data)
    before = sandbox.runs
    result = sandbox.run(str(path), ["x"])
    assert result.status == "invalid" and "broken.ipynb" in result.reason
    assert sandbox.runs == before


def test_submissions_are_isolated_from_each_other(notebook):
    first = notebook("import numpy as np, builtins, sys\nnp.sum = lambda *a, **k: 42\n"
                     "np.LEAK = 1\nbuiltins.LEAK = 1\nsys.modules['leak'] = sys\n"
                     "open('/tmp/leak.txt', 'w').write('x')\nopen('leak.txt', 'w').write('x')\n"
                     "import os\nos.environ['LEAK'] = '1'\nGLOBAL = 1")
    second = notebook("import numpy as np, builtins, sys, os\n"
                      "seen = [float(np.sum([1.0, 2.0])), hasattr(np, 'LEAK'), hasattr(builtins, 'LEAK'),\n"
                      "        'leak' in sys.modules, os.path.exists('/tmp/leak.txt'),\n"
                      "        os.path.exists('leak.txt'), 'LEAK' in os.environ, 'GLOBAL' in dir()]")
    with SandboxExecutor(workers=1, limits=TEST_LIMITS) as one_worker:  # same zygote twice
        assert one_worker.run(first, []).status == "ok"
        result = one_worker.run(second, ["seen"])
    assert result.answers["seen"] == [3.0, False, False, False, False, False, False, False]


KILL_EVERYTHING = """
import os, signal
for target in (-1, 1):  # everyone it is allowed to signal, then pid 1
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
x = 2
"""


def test_a_dead_worker_is_restarted_and_bad_submissions_do_not_stop_a_batch(notebook):
    good = notebook("x = 1")
    jobs = [Job(good, ("x",)), Job(notebook("import os\nos._exit(3)"), ("x",)),
            Job(notebook("while True:\n    pass"), ("x",), limits=TEST_LIMITS.replace(wall_seconds=1)),
            Job(good, ("x",)), Job(notebook(KILL_EVERYTHING), ("x",)), Job(good, ("x",))]
    with SandboxExecutor(workers=2, limits=TEST_LIMITS) as pool:
        results = pool.run_many(jobs)
        assert [r.status for r in results] == ["ok", "crashed", "timeout", "ok", "ok", "ok"]
        assert results[4].answers == {"x": 2}  # the worker is out of the child's reach
        for pid in pool.worker_pids():
            os.kill(pid, 9)
        assert pool.run(good, ["x"]).answers == {"x": 1}
        assert pool.restarts >= 1


def test_without_namespaces_the_result_says_so(notebook):
    with SandboxExecutor(workers=1, limits=TEST_LIMITS, isolate=False) as plain:
        result = plain.run(notebook("import os\nx = os.getcwd()"), ["x"])
        assert plain.isolation["network"] is False
    assert result.status == "ok" and result.network_isolated is False
    assert result.isolation["filesystem"] is False


SCAN_OWN_MEMORY = """
import ctypes
# The needle is the token with every byte shifted by one, and memory is shifted the
# same way before searching: the needle itself (shifted twice) never matches.
shift = bytes((i + 1) % 256 for i in range(256))
needle = bytes.fromhex({hex!r})
found = []
for line in open('/proc/self/maps'):
    fields = line.split()
    if not fields[1].startswith('rw') or (len(fields) > 5 and not fields[5].startswith('[heap')):
        continue
    start, end = (int(part, 16) for part in fields[0].split('-'))
    if needle in ctypes.string_at(start, end - start).translate(shift):
        found.append(line.strip())
"""


def test_a_later_submission_finds_nothing_of_an_earlier_one_in_its_memory(notebook):
    token = "tok" + uuid.uuid4().hex
    first = notebook(f"secret_code = '{token}'\nprint(secret_code * 3)\nanswer = secret_code")
    shifted = bytes((b + 1) % 256 for b in token.encode())
    second = notebook(SCAN_OWN_MEMORY.format(hex=shifted.hex()))
    with SandboxExecutor(workers=1, limits=TEST_LIMITS) as one_worker:  # same zygote twice
        assert one_worker.run(first, ["answer"]).answers == {"answer": token}
        result = one_worker.run(second, ["found"])
    assert result.status == "ok", result.reason + result.stdout
    assert result.answers["found"] == []


def test_student_output_cannot_corrupt_the_result_channel(sandbox, notebook):
    source = ("import os, sys\nos.write(1, b'\\x00\\x00\\x00\\x05{\"answers\": {\"x\": 99}}')\n"
              "sys.stdout.write('\\x00\\x00\\x00\\x02{}')\nos.write(2, b'\\xff\\xfe')\n"
              "fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))\nx = 1")
    result = sandbox.run(notebook(source), ["x", "fds"])
    assert result.status == "ok" and result.answers["x"] == 1
    assert result.answers["fds"][:4] == [0, 1, 2, 3]  # stdio, the result pipe, listdir's own
    corrupt = sandbox.run(notebook("import os\nos.write(3, b'garbage!')\nx = 1"), ["x"])
    assert corrupt.status == "crashed" and "unreadable result" in corrupt.reason


def test_oversized_answers_become_markers_and_the_rest_still_arrives(sandbox, notebook):
    limits = TEST_LIMITS.replace(result_bytes=64 * 1024)
    source = ("import numpy as np\nhuge = np.zeros(10**6)\nbig = list(range(30000))\n"
              "small = 1.5")
    result = sandbox.run(notebook(source), ["huge", "big", "small"], limits=limits)
    assert result.status == "ok", result.reason
    assert marker_kind(result.answers["huge"]) == "too_large"
    assert marker_kind(result.answers["big"]) == "too_large"
    assert result.answers["small"] == 1.5


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (Linux /proc), found before it goes."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    parents[int(entry)] = int(handle.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except OSError:
        return False


def test_a_lazy_pool_runs_what_a_notebook_imports_in_its_child(notebook):
    """A pool for one notebook per worker skips the warm-up: its worker has not imported
    sympy, and a notebook that uses sympy still gets its expressions converted."""
    pool = SandboxExecutor(workers=1, limits=TEST_LIMITS, prewarm=False).launch()
    try:
        assert pool.worker_pids() == []  # launched, not waited for
        result = pool.run(notebook("import sympy as sp\nx = sp.Symbol('x')\n"
                                   "d = sp.diff(x * sp.exp(x), x)\nq = sp.Rational(3, 4)"),
                          ["d", "q"])
        assert pool.versions["sympy"] is None and pool.versions["numpy"]
    finally:
        pool.close()
    assert result.status == "ok" and result.answers == {"d": "x*exp(x) + exp(x)", "q": 0.75}


def test_close_leaves_no_process_of_the_pool_behind(notebook):
    pool = SandboxExecutor(workers=2, limits=TEST_LIMITS, prewarm=False).start()
    assert pool.run(notebook("x = 1"), ["x"]).answers == {"x": 1}
    processes = set(pool.worker_pids())
    for pid in list(processes):
        processes |= _descendants(pid)  # each worker's waiting child, its pid namespace's reaper
    assert len(processes) >= 4
    folder = pool.directory
    pool.close()
    assert [pid for pid in pool.worker_pids()] == []
    assert not os.path.exists(folder)
    leftovers = set(processes)
    for _ in range(500):  # a killed process's children go with it, not necessarily at once
        leftovers = {pid for pid in leftovers if _running(pid)}
        if not leftovers:
            break
        time.sleep(0.01)
    assert leftovers == set()
