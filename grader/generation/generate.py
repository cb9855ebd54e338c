"""``calcgrade generate``: one notebook and handout per student, the key and a manifest.

The output folder is built next to its destination under a temporary name and renamed
into place only when complete, so a failure leaves no partial output. An existing folder
is replaced only when its ``manifest.json`` belongs to the same assignment (or it is
empty); anything else is a usage error.

Layout of ``DIR``::

    notebooks/<id>.ipynb   handouts/<id>.html   key.json   key.csv
    assignment.toml   roster.csv   (copies of the inputs)   manifest.json

>>> import tempfile, pathlib
>>> from calcgrade.grader.course.assignment import parse_assignment
>>> from calcgrade.grader.course.roster import Student
>>> assignment = parse_assignment('id = "a"\\ntitle = "T"\\n[[problems]]\\n'
...                               'family = "sigmoid_gradient"\\n', "a.toml")
>>> with tempfile.TemporaryDirectory() as tmp:
...     out = pathlib.Path(tmp) / "class"
...     result = generate_class(assignment, [Student("ann")], bytes(32), out)
...     names = sorted(p.name for p in out.iterdir())
>>> names
['handouts', 'key.csv', 'key.json', 'manifest.json', 'notebooks']
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

from calcgrade.grader.course.assignment import Assignment, load_assignment
from calcgrade.grader.csvsafe import csv_text
from calcgrade.core.errors import UsageError
from calcgrade.core.names import answer_variable
from calcgrade.grader.generation.handout import build_handout
from calcgrade.grader.course.jsonio import dumps, plain
from calcgrade.grader.generation.notebook import answer_entry, build_notebook, notebook_text
from calcgrade.grader.course.roster import Student, load_roster
from calcgrade.grader.course.secret import secret_check, token_for
from calcgrade.grader.course.variants import Variant, first_draws, iter_class_variants, signed_draws

MANIFEST = "manifest.json"
PARALLEL_FROM = 100  # students; fewer are made in this process (starting workers costs ~1 s)
MAX_WORKERS = 8
Progress = Callable[[int, int], None]


@dataclass
class GenerateResult:
    """What was written, for the command's summary."""

    out: Path
    students: int
    problems: int
    shared: dict[int, list[str]] = field(default_factory=dict)


def problem_parts(variant: Variant) -> tuple[dict, dict]:
    """``(item, record)``: what notebook and handout need, and the key's record (from the
    variant's answers, specs and statement, each computed once)."""
    problem = variant.problem
    family = variant.family
    answers = plain(variant.answers)
    specs = variant.specs
    entries = [answer_entry(problem.number, name, spec, answers[name],
                            family.iterates_start(variant.params, name))
               for name, spec in specs.items()]
    item = {"problem": problem, "statement": variant.statement, "entries": entries}
    record = {
        "number": problem.number, "slot": problem.slot, "family": problem.family,
        "points": problem.points, "draw": variant.draw, "params": plain(variant.params),
        "answers": answers,
        "tolerance": {name: {"rtol": spec.rtol, "atol": spec.atol} for name, spec in specs.items()
                      if spec.kind not in ("label", "function")},
    }
    return item, record


def render_request(assignment: Assignment, student: Student, variants: list[Variant],
                   secret: bytes) -> tuple[dict, dict]:
    """``(request, key record)`` of one student. The request is plain data holding only
    what the student's notebook carries (statements, answer entries, token, signed draw
    numbers; never a reference answer nor the secret): all :func:`render_student` needs."""
    items, records = [], []
    for variant in variants:
        item, record = problem_parts(variant)
        items.append({"statement": item["statement"], "entries": item["entries"]})
        records.append(record)
    request = {"student": {"id": student.id, "name": student.name},
               "token": token_for(secret, assignment.id, student.id),
               "draws": signed_draws(secret, assignment, student.id, variants),
               "problems": items}
    key = {"id": student.id, "name": student.name, "email": student.email, "problems": records}
    return request, key


def render_student(assignment: Assignment, request: dict) -> tuple[str, str]:
    """``(notebook text, handout html)`` of one student from their :func:`render_request`
    (no secret needed: this may run on another machine)."""
    student = Student(request["student"]["id"], request["student"]["name"])
    items = [{"problem": problem, "statement": item["statement"], "entries": item["entries"]}
             for problem, item in zip(assignment.problems, request["problems"], strict=True)]
    notebook = notebook_text(build_notebook(assignment, student, items, request["token"],
                                            request["draws"]))
    return notebook, build_handout(assignment, student, items)


def student_files(assignment: Assignment, student: Student, variants: list[Variant],
                  secret: bytes) -> tuple[str, str, dict]:
    """``(notebook text, handout html, key record)`` of one student."""
    request, key = render_request(assignment, student, variants, secret)
    notebook, handout = render_student(assignment, request)
    return notebook, handout, key


def key_csv(records: list[dict]) -> str:
    """The key as a table, one row per answer."""
    rows = [["student", "name", "problem", "family", "points", "variable", "answer", "value", "params"]]
    for student in records:
        for problem in student["problems"]:
            params = _compact(problem["params"])
            for name, value in problem["answers"].items():
                shown = value if isinstance(value, str) else _compact(value)
                rows.append([student["id"], student["name"], problem["number"], problem["family"],
                             problem["points"], answer_variable(problem["number"], name), name, shown, params])
    return csv_text(rows)


def _compact(value) -> str:
    """Compact canonical JSON of plain data (already converted by :func:`plain`)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _write(root: Path, relative: str, text: str, hashes: dict[str, str]) -> None:
    data = text.encode("utf-8")
    path = root / relative
    path.write_bytes(data)
    hashes[relative] = hashlib.sha256(data).hexdigest()


def _student_job(assignment: Assignment, secret: bytes, root: str,
                 task: tuple[Student, list[Variant]]) -> tuple[dict, dict[str, str]]:
    """Write one student's notebook and handout under ``root``; return (key record, hashes)."""
    student, variants = task
    notebook, handout, record = student_files(assignment, student, variants, secret)
    hashes: dict[str, str] = {}
    _write(Path(root), f"notebooks/{student.id}.ipynb", notebook, hashes)
    _write(Path(root), f"handouts/{student.id}.html", handout, hashes)
    return record, hashes


def worker_count(jobs: int | None, students: int) -> int:
    """How many processes to use: ``jobs`` if given, else one per CPU for a large class."""
    if jobs is not None:
        return max(1, jobs)
    if students < PARALLEL_FROM:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS, students // 25))


@contextmanager
def _mapper(workers: int):
    """``map`` in this process, or an ordered ``imap`` over a pool of fresh processes."""
    if workers <= 1:
        yield lambda function, items: map(function, items)
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield lambda function, items: pool.imap(function, items, chunksize=8)


def _render_remotely(root: Path, assignment: Assignment, students: list[Student],
                     secret: bytes, renderer, shared: dict, records: list, hashes: dict,
                     progress: Progress | None) -> None:
    """Draw, solve and sign here, in roster order; render with ``renderer`` (a
    :class:`~calcgrade.grader.generation.dask_render.DaskRenderer`); write what comes back."""
    walk = iter_class_variants(assignment, secret, [s.id for s in students], shared)

    def requests():
        for student, (_, variants) in zip(students, walk):
            request, record = render_request(assignment, student, variants, secret)
            records.append(record)
            yield request

    for done, (request, notebook, handout) in enumerate(
            renderer.render(assignment, requests()), start=1):
        student_id = request["student"]["id"]
        _write(root, f"notebooks/{student_id}.ipynb", notebook, hashes)
        _write(root, f"handouts/{student_id}.html", handout, hashes)
        if progress:
            progress(done, len(students))
    if len(records) != len(students) or len(hashes) != 2 * len(students):
        raise RuntimeError(f"rendered {len(hashes)} files for {len(students)} students")


def write_class(root: Path, assignment: Assignment, students: list[Student], secret: bytes,
                progress: Progress | None = None, inputs: dict[str, bytes] | None = None,
                jobs: int | None = None, renderer=None) -> dict[int, list[str]]:
    """Write every file of the class into the (empty) folder ``root``; return shared variants.

    Draws and files are pure functions of each student, so they may be made by several
    processes (``jobs``); the results are collected in roster order and are the same bytes.
    With ``renderer`` (a :class:`~calcgrade.grader.generation.dask_render.DaskRenderer`),
    this process draws, solves and signs, and the renderer's workers make the files.
    """
    (root / "notebooks").mkdir()
    (root / "handouts").mkdir()
    shared: dict[int, list[str]] = {}
    ids = [s.id for s in students]
    hashes: dict[str, str] = {}
    records = []
    if progress:
        progress(0, len(students))
    if renderer is not None:
        _render_remotely(root, assignment, students, secret, renderer, shared, records, hashes,
                         progress)
    else:
        with _mapper(worker_count(jobs, len(students))) as mapper:
            first = dict(zip(ids, mapper(partial(first_draws, assignment, secret), ids)))
            walk = iter_class_variants(assignment, secret, ids, shared, first)
            tasks = ((student, variants) for student, (_, variants) in zip(students, walk))
            job = partial(_student_job, assignment, secret, str(root))
            for done, (record, written) in enumerate(mapper(job, tasks), start=1):
                records.append(record)
                hashes.update(written)
                if progress:
                    progress(done, len(students))
    key = {"assignment": {"id": assignment.id, "title": assignment.title,
                          "total_points": assignment.total_points},
           "students": records}
    _write(root, "key.json", dumps(key, indent=1) + "\n", hashes)
    _write(root, "key.csv", key_csv(records), hashes)
    for name, data in (inputs or {}).items():
        (root / name).write_bytes(data)
        hashes[name] = hashlib.sha256(data).hexdigest()
    manifest = {
        "generator": "calcgrade generate",
        "assignment": {"id": assignment.id, "title": assignment.title, "sha256": assignment.sha256,
                       "problems": len(assignment.problems)},
        "students": ids,
        "secret_check": secret_check(secret),
        "shared_variants": {str(k): v for k, v in shared.items()},
        "files": dict(sorted(hashes.items())),
    }
    (root / MANIFEST).write_text(dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return shared


def check_destination(out: Path, assignment: Assignment) -> None:
    """Refuse an output folder that holds something other than this assignment's output."""
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder; choose another --out")
    manifest = out / MANIFEST
    if not manifest.exists():
        if any(out.iterdir()):
            raise UsageError(f"{out} is not empty and holds no calcgrade output ({MANIFEST}); "
                             "choose a new or empty --out folder")
        return
    try:
        owner = json.loads(manifest.read_text(encoding="utf-8"))["assignment"]["id"]
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{manifest} cannot be read; choose another --out folder") from None
    if owner != assignment.id:
        raise UsageError(f"{out} already holds assignment {owner!r}, not {assignment.id!r}; "
                         "choose another --out folder")


def move_into_place(staging: Path, out: Path) -> None:
    """Rename the finished ``staging`` folder to ``out``, replacing an older output."""
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, backup / out.name)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(backup / out.name, out)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def generate_class(assignment: Assignment, students: list[Student], secret: bytes, out,
                   progress: Progress | None = None, inputs: dict[str, bytes] | None = None,
                   jobs: int | None = None, renderer=None) -> GenerateResult:
    """Build the class into a temporary sibling of ``out`` and move it into place."""
    out = Path(out)
    check_destination(out, assignment)
    created = [p for p in reversed(out.parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    except OSError as error:
        raise UsageError(f"cannot create the output folder next to {out}: {error.strerror}") from None
    try:
        shared = write_class(staging, assignment, students, secret, progress, inputs, jobs,
                             renderer)
        move_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):  # the parents this call made, innermost first
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return GenerateResult(out, len(students), len(assignment.problems), shared)


def generate(assignment_path, roster_path, out, secret: bytes,
             progress: Progress | None = None, jobs: int | None = None,
             renderer=None) -> GenerateResult:
    """Load the inputs, then :func:`generate_class` (with copies of the inputs); with
    ``renderer``, the files are rendered on its Dask workers."""
    assignment = load_assignment(assignment_path)
    students = load_roster(roster_path)
    inputs = {"assignment.toml": Path(assignment_path).read_bytes(),
              "roster.csv": Path(roster_path).read_bytes()}
    return generate_class(assignment, students, secret, out, progress, inputs, jobs, renderer)
