"""``calcgrade grade``: run submissions in the sandbox, mark them, keep the gradebook.

The flow (DESIGN §3, §7): collect the inputs, identify each student, regenerate every
variant from the secret, skip submissions already in the gradebook (same content, same
assignment, same secret), run the rest in the sandbox pool, mark each one in this process
and commit it to the gradebook as soon as it is marked, then write the reports from the
gradebook. Every input ends up exactly once in ``submissions.csv``; one bad submission
never stops the batch.
"""

from __future__ import annotations

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable, Iterator

from calcgrade.grader.assignment import Assignment, load_assignment
from calcgrade.core.errors import UsageError
from calcgrade.grader.gradebook import Gradebook, PartRecord, SubmissionRecord
from calcgrade.grader.marking import answer_variable, mark_problem
from calcgrade.grader.reports import GRADED, write_reports
from calcgrade.grader.roster import load_roster
from calcgrade.grader.secret import secret_check, verify_token
from calcgrade.grader.submissions import Input, collect_inputs, identify_from_path
from calcgrade.grader.variants import Variant, iter_class_variants

GRADEBOOK = "gradebook.sqlite"
UNIDENTIFIED, GRADER_ERROR = "unidentified", "grader_error"


def _calcgrade_version() -> str:
    try:
        return version("calcgrade")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "source"


@dataclass
class Pending:
    """An input on its way through the batch."""

    input: Input
    student: str
    hash: str
    flags: list[str] = field(default_factory=list)


@dataclass
class GradeSummary:
    """What a batch did, for the command line to report."""

    out: Path
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    inputs: int = 0
    rows: list[list[str]] = field(default_factory=list)


def notebook_metadata(data: bytes | None) -> dict:
    """``metadata.calcgrade`` of a notebook's bytes, or {} (read as JSON, never run)."""
    try:
        meta = json.loads(data or b"").get("metadata", {}).get("calcgrade", {})
    except (ValueError, AttributeError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def identify(item: Input, roster_ids: set[str], assignment: Assignment, secret: bytes,
             forced: str | None) -> tuple[str | None, list[str], str]:
    """(student id or None, flags, reason when unidentified)."""
    data = item.read()
    meta = notebook_metadata(data)
    claimed, token = meta.get("student"), meta.get("token")
    token_ok = isinstance(claimed, str) and isinstance(token, str) and \
        meta.get("assignment") == assignment.id and verify_token(secret, assignment.id, claimed, token)
    flags = []
    student, how = (forced, "--student") if forced else identify_from_path(item.label, roster_ids)
    if student is None and token_ok and claimed in roster_ids:
        return claimed, ["identified by the notebook's signed metadata"], ""
    if student is None:
        return None, [], ("no roster id in the file or folder name and no valid signed metadata; "
                          "rename the file to <id>.ipynb or grade it with --student")
    if data is not None and meta:
        if not token_ok:
            flags.append("the notebook's calcgrade token does not verify (edited metadata, "
                         "another assignment or another course)")
        elif claimed != student:
            flags.append(f"the notebook was generated for {claimed!r} but submitted as {student!r}; "
                         f"graded as {student!r}'s variant")
    elif data is not None and not meta:
        flags.append("the notebook has no calcgrade metadata")
    return student, flags, ""


def submission_hash(item: Input, student: str, assignment: Assignment, secret: bytes) -> str:
    """What a grading depends on: content, student, assignment, secret and calcgrade version."""
    digest = hashlib.sha256()
    for part in (assignment.sha256, secret_check(secret), student, _calcgrade_version(),
                 item.sha256 or item.error):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _variants_fingerprint(assignment: Assignment, secret: bytes, roster_ids: list[str]) -> str:
    return hashlib.sha256("\0".join(
        [assignment.sha256, secret_check(secret), _calcgrade_version(), *roster_ids]).encode()).hexdigest()


def class_variants_cached(book: Gradebook, assignment: Assignment, secret: bytes,
                          roster_ids: list[str]) -> Iterator[tuple[str, list[Variant]]]:
    """Every roster student's variants, one student at a time, in roster order.

    The first run samples them and, once all are drawn, stores their params and draw
    numbers in the gradebook; a rerun with the same assignment, secret and roster reads
    them back instead of sampling again.
    """
    fingerprint = _variants_fingerprint(assignment, secret, roster_ids)
    cached = book.get_meta("variants")
    if cached is not None:
        stored = json.loads(cached)
        if stored.get("fingerprint") == fingerprint:
            for student in roster_ids:
                yield student, [Variant(problem, params, draw) for problem, (params, draw)
                                in zip(assignment.problems, stored["students"][student])]
            return
    drawn = {}
    for student, rows in iter_class_variants(assignment, secret, roster_ids):
        drawn[student] = [[v.params, v.draw] for v in rows]
        yield student, rows
    book.set_meta("variants", json.dumps({"fingerprint": fingerprint, "students": drawn},
                                         sort_keys=True))


def _error_parts(problems, variants: list[Variant], hash_: str, status: str) -> list[PartRecord]:
    """Zero-score parts for a submission that did not run, so every report has every part."""
    parts = []
    for problem, variant in zip(problems, variants):
        specs = problem.answer_specs(variant.params)
        for name in specs:
            parts.append(PartRecord(hash_, problem.number, name, problem.family, 0.0,
                                    round(problem.points / len(specs), 6), status,
                                    "Not graded: the notebook did not run to the end.",
                                    None, "", "", ""))
    return parts


def requested_calls(assignment: Assignment, variants: list[Variant]) -> dict:
    """Variable -> inputs for every answer that a student may write as a function (an
    expression as a def or lambda of its variables): the sandbox calls it there."""
    from calcgrade.core.answers import function_inputs

    calls = {}
    for problem, variant in zip(assignment.problems, variants):
        specs = problem.answer_specs(variant.params)
        expressions = {name: spec for name, spec in specs.items() if spec.kind == "expression"}
        if not expressions:
            continue
        reference = variant.solve()
        for name, spec in expressions.items():
            calls[answer_variable(problem.number, name)] = function_inputs(spec, reference[name])
    return calls


def mark_submission(assignment: Assignment, variants: list[Variant], pending: Pending,
                    result) -> tuple[SubmissionRecord, list[PartRecord]]:
    """Turn a sandbox result into gradebook rows."""
    flags = list(pending.flags)
    if result.status not in ("ok", "memory"):
        parts = _error_parts(assignment.problems, variants, pending.hash, result.status)
        record = SubmissionRecord(pending.hash, pending.student, pending.input.label, result.status,
                                  result.reason or result.status, 0.0, assignment.total_points,
                                  "; ".join(flags))
        return record, parts
    if result.status == "memory":
        flags.append(f"ran out of memory: {result.reason}")
    if result.cell_errors:
        first = result.cell_errors[0]
        flags.append(f"{len(result.cell_errors)} cell(s) raised an error, first {first.name} in cell "
                     f"{first.cell + 1}")
    parts = []
    for problem, variant in zip(assignment.problems, variants):
        names = problem.answer_specs(variant.params)
        variables = {name: answer_variable(problem.number, name) for name in names}
        answers = {name: result.answers.get(variable, {"$marker": "missing"})
                   for name, variable in variables.items()}
        calls = {name: result.function_results[variable]
                 for name, variable in variables.items() if variable in result.function_results}
        parts.extend(mark_problem(problem, variant.params, answers, pending.hash, calls,
                                  result.cell_errors))
    total = round(sum(p.score for p in parts), 6)
    record = SubmissionRecord(pending.hash, pending.student, pending.input.label, GRADED, "",
                              total, assignment.total_points, "; ".join(flags))
    return record, parts


def grade(paths: list[str], assignment_path: str, roster_path: str, out: str, secret: bytes, *,
          student: str | None = None, timeout: float = 60.0, memory_mib: int = 2048,
          workers: int = 2, reveal: bool = False,
          progress: Callable[[int, int], None] | None = None) -> GradeSummary:
    """Grade ``paths`` into ``out``; see the module docstring."""
    from calcgrade.grader.sandbox import Limits, SandboxExecutor

    assignment = load_assignment(assignment_path)
    roster = load_roster(roster_path)
    roster_ids = [s.id for s in roster]
    inputs = collect_inputs(paths)
    if student is not None:
        if len(inputs) != 1:
            raise UsageError(f"--student names one student, but {len(inputs)} submissions were given")
        if student not in roster_ids:
            raise UsageError(f"--student {student!r} is not in the roster {roster_path}")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = GradeSummary(out_dir, inputs=len(inputs))
    with Gradebook(out_dir / GRADEBOOK) as book:
        owner = book.get_meta("assignment")
        if owner is not None and owner != assignment.id:
            raise UsageError(f"{out_dir} holds the grades of assignment {owner!r}, not "
                             f"{assignment.id!r}; choose another --out")
        book.set_meta("assignment", assignment.id)
        pending = _pending(book, inputs, roster_ids, assignment, secret, student, summary)
        if pending:
            limits = Limits(wall_seconds=timeout, memory_bytes=memory_mib * 1024 * 1024)
            sandbox = SandboxExecutor(workers=workers, limits=limits)
            try:
                # the workers boot (importing numpy, sympy, IPython) while variants are drawn:
                # drawing them all first keeps this process quiet while the workers run
                starting = _in_background(sandbox.start)
                variants = dict(class_variants_cached(book, assignment, secret, roster_ids))
                starting()
                _run_all(book, sandbox, assignment, variants, pending, workers, summary, progress)
            finally:
                sandbox.close()
        write_reports(out_dir, assignment, roster, book.submissions(), book.parts, reveal)
    summary.rows = _table(out_dir)
    return summary


def _pending(book: Gradebook, inputs: list[Input], roster_ids: list[str], assignment: Assignment,
             secret: bytes, student: str | None, summary: GradeSummary) -> list[Pending]:
    """Identify every input; record the unidentified ones; skip those already graded."""
    pending: list[Pending] = []
    for item in inputs:
        who, flags, reason = identify(item, set(roster_ids), assignment, secret, student)
        if who is None:
            hash_ = "unidentified:" + (item.sha256 or hashlib.sha256(item.label.encode()).hexdigest())
            book.record(SubmissionRecord(hash_, "", item.label, UNIDENTIFIED, reason, 0.0,
                                         assignment.total_points), [])
            summary.failed += 1
            continue
        hash_ = submission_hash(item, who, assignment, secret)
        if book.has(hash_):
            summary.skipped += 1
            continue
        pending.append(Pending(item, who, hash_, flags))
    return pending


def _in_background(function: Callable[[], object]) -> Callable[[], None]:
    """Start ``function`` in a thread; the returned callable waits and re-raises its error."""
    errors: list[BaseException] = []

    def target():
        try:
            function()
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if errors:
            raise errors[0]
    return wait


def _run(sandbox, item: Pending, answers: list[str], functions: dict):
    """Run one pending submission (an unreadable file never reaches the sandbox)."""
    from calcgrade.grader.sandbox import ExecutionResult
    from calcgrade.grader.sandbox.submission import InvalidSubmission, parse_submission

    data = item.input.read()
    try:
        if data is None:
            raise InvalidSubmission(item.input.error or "the file cannot be read")
        submission = parse_submission(data, item.input.label)
    except InvalidSubmission as error:
        return ExecutionResult.invalid(error.reason)
    return sandbox.run(submission, answers=answers, functions=functions)


def _run_all(book: Gradebook, sandbox, assignment: Assignment, variants: dict[str, list[Variant]],
             pending: list[Pending], workers: int, summary: GradeSummary,
             progress: Callable[[int, int], None] | None) -> None:
    """Keep every worker busy; mark and record each submission as soon as it is back."""
    def answers_of(student_id: str) -> list[str]:
        return [answer_variable(p.number, name) for p, v in zip(assignment.problems, variants[student_id])
                for name in p.answer_specs(v.params)]

    def functions_of(student_id: str) -> dict:
        return requested_calls(assignment, variants[student_id])

    if progress:
        progress(0, len(pending))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run, sandbox, item, answers_of(item.student), functions_of(item.student)): item for item in pending}
        for done, future in enumerate(as_completed(futures), start=1):
            item = futures.pop(future)
            _record(book, assignment, variants[item.student], item, future.result(), summary)
            if progress:
                progress(done, len(pending))


def _record(book: Gradebook, assignment: Assignment, variants: list[Variant], item: Pending,
            result, summary: GradeSummary) -> None:
    """Mark one result and commit it; a bug of ours becomes a row, never a stopped batch."""
    try:
        record, parts = mark_submission(assignment, variants, item, result)
    except Exception as error:
        record = SubmissionRecord(item.hash, item.student, item.input.label, GRADER_ERROR,
                                  f"calcgrade could not mark this submission "
                                  f"({type(error).__name__}: {error}); please report it",
                                  0.0, assignment.total_points, "; ".join(item.flags))
        parts = []
    book.record(record, parts)
    if record.status == GRADED:
        summary.graded += 1
    else:
        summary.failed += 1


def _table(out_dir: Path) -> list[list[str]]:
    import csv

    with open(out_dir / "grades.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))
