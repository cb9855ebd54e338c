"""The jail as an ordinary user would run it (user namespaces instead of root).

The executor's tests run as whatever user runs pytest; on this project's machines that
is root, which takes the privileged path (namespaces created as root, then a switch
to an unprivileged uid). This test exercises the other path: ``jail.py`` (standard
library only) is loaded by a Python interpreter running as ``nobody``. It needs root
to switch user and an interpreter that ``nobody`` can run; otherwise it is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

import calcgrade.grader.sandbox.jail as jail_module

pytestmark = pytest.mark.slow

NOBODY = 65534

CHECK = r'''
import importlib.util, json, os, socket, sys
spec = importlib.util.spec_from_file_location("jail", sys.argv[1])
jail = importlib.util.module_from_spec(spec)
sys.modules["jail"] = jail
spec.loader.exec_module(jail)
base, host_file = sys.argv[2], sys.argv[3]
os.makedirs(base + "/root"); os.makedirs(base + "/job")
plan = jail.make_plan(base + "/root", base + "/job", None, None)
prepared, reaper = jail.prepare(plan)
plan = jail.Plan(**{**plan.__dict__, "extra": prepared})
probed = jail.probe(plan, prepared)
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    out = {}
    try:
        os.close(read_end)
        out["isolation"] = jail.enter(plan, 1 << 20, prepared)
        out["pid"], out["cwd"] = os.getpid(), os.getcwd()
        def attempt(name, action):
            try:
                action()
                out[name] = "allowed"
            except OSError as error:
                out[name] = type(error).__name__
        attempt("write_etc", lambda: open("/etc/calcgrade-test", "w"))
        attempt("read_host", lambda: open(host_file).read())
        attempt("connect", lambda: socket.create_connection(("127.0.0.1", 22), timeout=1))
        attempt("kill_all", lambda: os.kill(-1, 0))
        attempt("remount", lambda: jail._mount(None, "/usr", None, jail.MS_REMOUNT | jail.MS_BIND))
        attempt("write_work", lambda: open("ok", "w").write("x"))
    except Exception as error:
        out["error"] = repr(error)
    os.write(write_end, json.dumps(out).encode())
    os._exit(0)
os.close(write_end)
data = b""
while chunk := os.read(read_end, 65536):
    data += chunk
os.waitpid(pid, 0)
swept = reaper.sweep() if reaper else None
print(json.dumps({"prepared": prepared, "probed": probed, "child": json.loads(data),
                  "swept": swept}))
'''


def _interpreter_for_nobody() -> str | None:
    for candidate in (sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"):
        if candidate and os.path.exists(candidate):
            try:
                probe = subprocess.run([candidate, "-I", "-c", "import ctypes, json"],
                                       user=NOBODY, group=NOBODY, extra_groups=[],
                                       capture_output=True, cwd="/",
                                       env={"PATH": "/usr/bin:/bin"})
            except OSError:  # e.g. the interpreter lives under /root
                continue
            if probe.returncode == 0:
                return candidate
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_the_unprivileged_path_isolates_too():
    python = _interpreter_for_nobody()
    if python is None:
        pytest.skip("no Python interpreter that nobody can run")
    folder = tempfile.mkdtemp(prefix="calcgrade-jail-")
    try:
        os.chmod(folder, 0o755)
        jail_copy = os.path.join(folder, "jail.py")
        shutil.copy(jail_module.__file__, jail_copy)
        script = os.path.join(folder, "check.py")
        with open(script, "w") as handle:
            handle.write(CHECK)
        host_file = os.path.join(folder, "visible-to-nobody.txt")
        with open(host_file, "w") as handle:
            handle.write("host data")
        base = os.path.join(folder, "base")
        os.makedirs(base)
        os.chown(base, NOBODY, NOBODY)
        for path in (jail_copy, script, host_file):
            os.chmod(path, 0o644)
        done = subprocess.run([python, "-I", script, jail_copy, base, host_file], user=NOBODY,
                              group=NOBODY, extra_groups=[], capture_output=True, text=True,
                              cwd="/", env={"PATH": "/usr/bin:/bin"}, timeout=60)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not report["prepared"].get("network"):
        pytest.skip(f"user namespaces are not available: {report['prepared']}")
    child = report["child"]
    assert "error" not in child, child
    assert report["prepared"] == {"network": True, "filesystem": True, "pids": True}
    assert report["probed"] == child["isolation"] and report["swept"] is True
    assert child["isolation"] == {"network": True, "pids": True, "filesystem": True,
                                  "ipc": True, "user_namespace": True, "keyring": True,
                                  "user": NOBODY, "workdir": child["cwd"]}
    assert child["pid"] > 1 and child["cwd"].startswith("/work")  # pid 1 is the reaper
    assert child["write_etc"] != "allowed" and child["read_host"] == "FileNotFoundError"
    assert child["connect"] != "allowed" and child["kill_all"] == "ProcessLookupError"
    assert child["remount"] == "PermissionError" and child["write_work"] == "allowed"
