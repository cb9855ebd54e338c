"""Grading and generating through Dask: a real LocalCluster of two worker processes, the
real sandbox.

The oracle for every grade is a local run of the same batch (the sandbox pool of this
machine), which the rest of the suite checks against the reference solvers; the oracle
for generation is a local run of the same class, compared file by file (SHA-256)."""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

distributed = pytest.importorskip("distributed")

from calcgrade.grader.generation.dask_render import DaskRenderer  # noqa: E402
from calcgrade.grader.generation.generate import generate  # noqa: E402
from calcgrade.grader.grading.grade import grade  # noqa: E402
from calcgrade.grader.sandbox.limits import Limits  # noqa: E402
from calcgrade.grader.sandbox.dask_pool import DaskCluster  # noqa: E402
from calcgrade.grader.simulate import fill_answers, simulated_answers  # noqa: E402

from ..grader.classes import (EXAMPLE_ASSIGNMENT, SECRET, SECRET_HEX, example_class,  # noqa: E402
                              roster_text, write)

pytestmark = pytest.mark.slow
STUDENTS = 12
KINDS = ("correct", "mistake", "slip")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A generated class whose students hand in correct, mistaken and slipped answers,
    plus one notebook that raises in a cell and one file that is not JSON."""
    course = example_class(tmp_path_factory.mktemp("course"), STUDENTS)
    folder = course["root"] / "submissions"
    folder.mkdir()
    for index, (student, record) in enumerate(sorted(course["key"].items())):
        text = (course["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text("utf-8")
        values = simulated_answers(record, KINDS[index % len(KINDS)])
        if index == 4:
            values = {}  # hands in the blank notebook
        (folder / f"{student}.ipynb").write_text(fill_answers(text, values), encoding="utf-8")
    course["folder"] = folder
    return course


@pytest.fixture(scope="module")
def cluster():
    with DaskCluster(local=2) as connected:
        yield connected


LIMITS = Limits(wall_seconds=60, memory_bytes=2048 * 1024 * 1024)  # grade's defaults


def run(course, out, cluster=None):
    return grade([str(course["folder"])], str(EXAMPLE_ASSIGNMENT), str(course["roster"]),
                 str(out), SECRET, timeout=60,
                 sandbox=cluster.sandbox(LIMITS) if cluster else None)


def grades(out) -> dict[str, tuple]:
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        return {row["student"]: tuple(sorted(row.items())) for row in csv.DictReader(handle)}


def parts(out) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return sorted(db.execute("SELECT * FROM parts").fetchall(), key=repr)


def submissions(out) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute("SELECT hash, student, status, total FROM submissions").fetchall()


@pytest.fixture(scope="module")
def local_out(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    run(course, out)
    return out


def test_the_cluster_has_two_worker_processes(cluster):
    pids = cluster.client.run(os.getpid)
    assert len(pids) == 2 and len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def test_grades_through_dask_are_the_grades_of_a_local_run(course, cluster, local_out, tmp_path):
    summary = run(course, tmp_path, cluster)
    assert summary.graded == STUDENTS
    assert grades(tmp_path) == grades(local_out)
    assert parts(tmp_path) == parts(local_out)
    scores = {row[1]: row[3] for row in submissions(tmp_path)}
    assert len(set(scores.values())) > 1  # the batch is not all one grade


def test_a_rerun_resumes_from_the_gradebook(course, cluster, tmp_path):
    run(course, tmp_path, cluster)
    again = run(course, tmp_path, cluster)
    assert again.skipped == STUDENTS and again.graded == 0


def test_killing_a_worker_mid_batch_grades_every_submission_once(course, cluster, local_out,
                                                                 tmp_path):
    client = cluster.client
    started: list[int] = []
    latest = [0]
    killed: list[tuple[int, int]] = []  # (pid, submissions done when it was killed)

    def killer():
        # kill one worker process once the batch has handed out work
        while not started:
            time.sleep(0.05)
        victim = next(iter(client.run(os.getpid).values()))
        os.kill(victim, signal.SIGKILL)
        killed.append((victim, latest[0]))

    def progress(done, total):
        latest[0] = done
        if done >= 3 and not started:
            started.append(done)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    summary = grade([str(course["folder"])], str(EXAMPLE_ASSIGNMENT), str(course["roster"]),
                    str(tmp_path), SECRET, timeout=60, sandbox=cluster.sandbox(LIMITS),
                    progress=progress)
    thread.join(timeout=60)
    assert killed and killed[0][1] < STUDENTS  # killed while the batch was running
    rows = submissions(tmp_path)
    assert len(rows) == STUDENTS and len({row[0] for row in rows}) == STUDENTS
    assert summary.graded == STUDENTS
    assert grades(tmp_path) == grades(local_out)
    client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker
    assert killed[0][0] not in client.run(os.getpid).values()


def test_a_submission_that_kills_its_worker_each_time_gets_an_error_status(cluster):
    def kill_own_worker(payload, limits):
        import os
        import signal
        os.kill(os.getpid(), signal.SIGKILL)

    sandbox = cluster.sandbox(Limits(wall_seconds=30))
    result = sandbox._submit({}, {}, task=kill_own_worker)
    assert result.status == "crashed" and "died" in result.reason
    cluster.client.wait_for_workers(2, timeout=120)


def _cli(args: list[str], prelude: str = "") -> subprocess.CompletedProcess:
    """``calcgrade`` in a fresh interpreter; ``prelude`` runs first; the exit code and, on the
    last line of stdout, the Dask modules it imported."""
    code = (f"import sys\n{prelude}\nfrom calcgrade.grader.cli import main\n"
            f"code = main({args!r})\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
            "sys.exit(code)\n")
    env = dict(os.environ, CALCGRADE_SECRET=SECRET_HEX)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=600)


def _grade_args(course, out, *extra: str) -> list[str]:
    return ["grade", str(course["folder"]), "--assignment", str(EXAMPLE_ASSIGNMENT), "--roster",
            str(course["roster"]), "--out", str(out), *extra]


def test_the_command_grades_on_a_local_cluster(course, local_out, tmp_path):
    done = _cli(_grade_args(course, tmp_path, "--cluster", "local:2"))
    assert done.returncode == 0, done.stderr
    assert grades(tmp_path) == grades(local_out)


def test_without_the_options_the_command_does_not_import_dask(course, tmp_path):
    student = sorted(course["key"])[0]
    args = ["grade", str(course["folder"] / f"{student}.ipynb"), "--student", student,
            "--assignment", str(EXAMPLE_ASSIGNMENT), "--roster", str(course["roster"]),
            "--out", str(tmp_path)]
    done = _cli(args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "grades.csv").exists()


def test_an_unreachable_scheduler_is_a_usage_error(course, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = _cli(_grade_args(course, tmp_path, "--scheduler", f"tcp://127.0.0.1:{port}"))
    assert done.returncode == 2
    assert f"cannot reach the Dask scheduler tcp://127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_dask_installed_the_options_are_a_usage_error(course, tmp_path):
    hide = "sys.modules['distributed'] = None; sys.modules['dask'] = None"
    done = _cli(_grade_args(course, tmp_path, "--cluster", "local:2"), prelude=hide)
    assert done.returncode == 2
    assert 'pip install "calcgrade[dask]"' in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["local:0", "local:two", "remote:2", "tcp://host:8786"])
def test_a_bad_cluster_value_is_a_usage_error(course, tmp_path, value):
    done = _cli(_grade_args(course, tmp_path, "--cluster", value))
    assert done.returncode == 2 and "--cluster takes local:N" in done.stderr


def test_a_scheduler_without_workers_is_a_usage_error(course, tmp_path):
    with distributed.LocalCluster(n_workers=0, dashboard_address=None) as empty:
        done = _cli(_grade_args(course, tmp_path, "--scheduler", empty.scheduler_address))
    assert done.returncode == 2, done.stderr
    assert "has no worker" in done.stderr and "Traceback" not in done.stderr


# --- generation through Dask -------------------------------------------------------------------

GENERATED = 24


def tree_hashes(folder) -> dict[str, str]:
    """Every file under ``folder``: its path relative to it -> the SHA-256 of its bytes."""
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def generated_locally(tmp_path_factory):
    """The example assignment generated for a class in this process: the oracle."""
    root = tmp_path_factory.mktemp("generated")
    roster = write(root / "roster.csv", roster_text(GENERATED))
    generate(EXAMPLE_ASSIGNMENT, roster, root / "local", SECRET, jobs=1)
    hashes = tree_hashes(root / "local")
    assert len([name for name in hashes if name.startswith("notebooks/")]) == GENERATED
    return roster, hashes


def test_generation_through_dask_writes_the_bytes_of_a_local_run(cluster, generated_locally,
                                                                  tmp_path):
    roster, local = generated_locally
    renderer = DaskRenderer(cluster.client, batch=2)
    generate(EXAMPLE_ASSIGNMENT, roster, tmp_path / "out", SECRET, renderer=renderer)
    assert tree_hashes(tmp_path / "out") == local
    assert len(renderer.rendered_by) == 2, renderer.rendered_by  # both workers rendered
    assert sum(renderer.rendered_by.values()) == GENERATED
    assert renderer.most_in_flight <= renderer.window


def test_killing_a_worker_mid_generation_loses_nothing(cluster, generated_locally, tmp_path):
    roster, local = generated_locally
    client = cluster.client
    killed: list[tuple[int, int]] = []  # (pid, students done when it was killed)

    def progress(done, total):
        if done >= 4 and not killed:
            victim = next(iter(client.run(os.getpid).values()))
            os.kill(victim, signal.SIGKILL)
            killed.append((victim, done))

    renderer = DaskRenderer(cluster.client, batch=1)
    generate(EXAMPLE_ASSIGNMENT, roster, tmp_path / "out", SECRET, progress=progress,
             renderer=renderer)
    assert killed and killed[0][1] < GENERATED  # killed while the class was being rendered
    assert tree_hashes(tmp_path / "out") == local
    client.wait_for_workers(2, timeout=120)  # the nanny restarts the killed worker
    assert killed[0][0] not in client.run(os.getpid).values()


def test_the_generate_command_on_a_local_cluster(generated_locally, tmp_path):
    roster, local = generated_locally
    done = _cli(["generate", str(EXAMPLE_ASSIGNMENT), "--roster", str(roster), "--out",
                 str(tmp_path / "out"), "--cluster", "local:2"])
    assert done.returncode == 0, done.stderr
    assert tree_hashes(tmp_path / "out") == local


def test_generate_takes_jobs_or_a_cluster_not_both(generated_locally, tmp_path):
    roster, _ = generated_locally
    done = _cli(["generate", str(EXAMPLE_ASSIGNMENT), "--roster", str(roster), "--out",
                 str(tmp_path / "out"), "--cluster", "local:2", "--jobs", "2"])
    assert done.returncode == 2 and "give one or the other" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["local:0", "remote:2"])
def test_generate_checks_cluster_values_as_grade_does(generated_locally, tmp_path, value):
    roster, _ = generated_locally
    done = _cli(["generate", str(EXAMPLE_ASSIGNMENT), "--roster", str(roster), "--out",
                 str(tmp_path / "out"), "--cluster", value])
    assert done.returncode == 2 and "--cluster takes local:N" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


# A scheduler on a machine without calcgrade: Dask's scheduler unpickles every task graph
BLOCKED_SCHEDULER = """
import sys

class WithoutCalcgrade:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "calcgrade":
            raise ImportError("calcgrade is not installed on this machine")

sys.meta_path.insert(0, WithoutCalcgrade())
from distributed.cli.dask_scheduler import main
sys.argv = ["dask-scheduler", "--host", "127.0.0.1", "--port", sys.argv[1],
            "--dashboard-address", ":0"]
main()
"""


def test_a_scheduler_without_calcgrade_is_a_usage_error(course, generated_locally, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([sys.executable, "-c", BLOCKED_SCHEDULER, str(port)], **quiet)
    worker = None
    try:
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--no-dashboard"], **quiet)
        with distributed.Client(address, timeout=120) as client:
            client.wait_for_workers(1, timeout=120)
        roster, _ = generated_locally
        for args in (["generate", str(EXAMPLE_ASSIGNMENT), "--roster", str(roster), "--out",
                      str(tmp_path / "generated"), "--scheduler", address],
                     _grade_args(course, tmp_path / "graded", "--scheduler", address)):
            done = _cli(args)
            assert done.returncode == 2, done.stderr
            assert f"the Dask scheduler {address} cannot run calcgrade's tasks" in done.stderr
            assert "install calcgrade[dask]" in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "generated").exists() and not (tmp_path / "graded").exists()
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
