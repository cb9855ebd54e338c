"""The private root's plan: a working directory no bound host path can show in."""

from __future__ import annotations

from hypothesis import given, strategies as st

from calcgrade.grader.sandbox.jail import WORKDIR, choose_workdir, make_plan

SEGMENTS = st.sampled_from(["work", "work-1", "work-2", "usr", "opt", "venv", "tmp", "w"])
PATHS = st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


@given(st.lists(PATHS, max_size=8))
def test_no_bind_lies_under_or_over_the_working_directory(binds):
    workdir = choose_workdir(binds)
    assert workdir.startswith(WORKDIR)
    for path in binds:
        assert not (path + "/").startswith(workdir + "/")
        assert not (workdir + "/").startswith(path + "/")


def test_the_usual_working_directory_is_work():
    assert choose_workdir(["/usr", "/etc", "/opt/conda"]) == "/work"
    assert choose_workdir(["/usr", "/work/course/.venv"]) == "/work-1"
    assert choose_workdir(["/work", "/work-1/x"]) == "/work-2"


def test_a_plan_for_this_interpreter_has_a_clean_working_directory(tmp_path):
    plan = make_plan(str(tmp_path / "root"), str(tmp_path / "job"), None, None)
    assert plan.workdir == choose_workdir(list(plan.binds) + [link for link, _ in plan.links])
