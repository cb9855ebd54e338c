"""``calcgrade grade``: run submissions in the sandbox, mark them, keep the gradebook.

The flow (DESIGN §3, §7): collect the inputs, identify each student, choose the file
that counts for each student, regenerate every variant from the secret, skip submissions
already in the gradebook (same content, same assignment, same secret), run the rest in the
sandbox pool, mark each one in this process and commit it to the gradebook as soon as it
is marked, then write the reports. Every input ends up exactly once in ``submissions.csv``;
one bad submission never stops the batch.

Whose each file is and which file counts for each student: :mod:`calcgrade.grader.identity`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable, Iterator

from calcgrade.grader.assignment import Assignment, load_assignment
from calcgrade.core.errors import UsageError
from calcgrade.grader.gradebook import Gradebook, PartRecord, SubmissionRecord
from calcgrade.grader.marking import answer_variable, mark_problem
from calcgrade.grader.reports import GRADED, ReportRow, write_reports
from calcgrade.grader.roster import load_roster
from calcgrade.grader.secret import secret_check
from calcgrade.grader.identity import Claim, choose_counted, choose_rule, identify
from calcgrade.grader.submissions import (DEFAULT_LIMITS, NOTEBOOK, OTHER, Input, InputError,
                                          InputLimits, collect_inputs)
from calcgrade.grader.variants import Variant, iter_class_variants

GRADEBOOK = "gradebook.sqlite"
UNIDENTIFIED, GRADER_ERROR = "unidentified", "grader_error"
NOT_NOTEBOOK, SKIPPED = "not_notebook", "skipped"


def _calcgrade_version() -> str:
    try:
        return version("calcgrade")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "source"


@dataclass
class GradeSummary:
    """What a batch did, for the command line to report."""

    out: Path
    graded: int = 0
    skipped: int = 0
    failed: int = 0
    ignored: int = 0      # files that are not notebooks, or were not read
    inputs: int = 0
    rows: list[list[str]] = field(default_factory=list)




def submission_hash(item: Input, student: str, assignment: Assignment, secret: bytes) -> str:
    """What a grading depends on: content, student, assignment, secret and calcgrade version."""
    digest = hashlib.sha256()
    for part in (assignment.sha256, secret_check(secret), student, _calcgrade_version(),
                 item.sha256 or item.reason):
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


def mark_submission(assignment: Assignment, variants: list[Variant], pending: Claim,
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
          workers: int = 2, reveal: bool = False, pick: list[str] | tuple[str, ...] = (),
          limits: InputLimits = DEFAULT_LIMITS,
          progress: Callable[[int, int], None] | None = None) -> GradeSummary:
    """Grade ``paths`` into ``out``; see the module docstring. ``pick`` holds the values of
    ``--pick``: ``last-path``, ``newest`` or files that count for their students."""
    assignment = load_assignment(assignment_path)
    roster = load_roster(roster_path)
    roster_ids = [s.id for s in roster]
    if student is not None and student not in roster_ids:
        raise UsageError(f"--student {student!r} is not in the roster {roster_path}")
    rule, files = choose_rule(pick)
    with tempfile.TemporaryDirectory(prefix="calcgrade-inputs-") as spool:
        inputs = collect_inputs(paths, spool, limits)
        if student is not None:
            notebooks = [item for item in inputs if item.kind == NOTEBOOK]
            if len(notebooks) > 1:
                raise UsageError(f"--student names one student, but {len(notebooks)} notebooks "
                                 "were given")
        claims = [identify(item, set(roster_ids), assignment, secret, student) for item in inputs]
        choose_counted(claims, rule, files)
        return _grade_claims(claims, assignment, roster, roster_ids, Path(out), secret, timeout,
                             memory_mib, workers, reveal, progress)


def _grade_claims(claims: list[Claim], assignment: Assignment, roster, roster_ids: list[str],
                  out_dir: Path, secret: bytes, timeout: float, memory_mib: int, workers: int,
                  reveal: bool, progress) -> GradeSummary:
    from calcgrade.grader.sandbox import Limits, SandboxExecutor

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = GradeSummary(out_dir, inputs=len(claims))
    with Gradebook(out_dir / GRADEBOOK) as book:
        owner = book.get_meta("assignment")
        if owner is not None and owner != assignment.id:
            raise UsageError(f"{out_dir} holds the grades of assignment {owner!r}, not "
                             f"{assignment.id!r}; choose another --out")
        book.set_meta("assignment", assignment.id)
        pending = _pending(book, claims, assignment, secret, summary)
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
        write_reports(out_dir, assignment, roster, _report_rows(book, claims, assignment),
                      book.parts, reveal)
    summary.rows = _table(out_dir)
    return summary


def _not_graded(claim: Claim) -> tuple[str, str]:
    """(status, reason) of an input that does not go to the sandbox, or ("", "")."""
    item = claim.input
    if item.kind == OTHER:
        shown = item.label.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
        return NOT_NOTEBOOK, f"handed in {shown}: {item.reason}"
    if item.kind != NOTEBOOK:
        return SKIPPED, item.reason
    if claim.student is None:
        return UNIDENTIFIED, claim.reason
    return "", ""


def _pending(book: Gradebook, claims: list[Claim], assignment: Assignment, secret: bytes,
             summary: GradeSummary) -> list[Claim]:
    """Hash every claim; record those that need no sandbox; skip those already graded."""
    pending: list[Claim] = []
    records = []
    for claim in claims:
        status, reason = _not_graded(claim)
        if status:
            item = claim.input
            key = "\0".join((status, item.label, item.sha256, reason, claim.student or ""))
            claim.hash = f"{status}:" + hashlib.sha256(key.encode()).hexdigest()
            records.append(SubmissionRecord(claim.hash, claim.student or "", item.label, status, reason,
                                            0.0, assignment.total_points, "; ".join(claim.flags)))
            if status == UNIDENTIFIED:
                summary.failed += 1
            else:
                summary.ignored += 1
            continue
        claim.hash = submission_hash(claim.input, claim.student, assignment, secret)
        if book.has(claim.hash):
            summary.skipped += 1
            continue
        pending.append(claim)
    book.record_many(records)
    return pending


def _report_rows(book: Gradebook, claims: list[Claim], assignment: Assignment) -> list[ReportRow]:
    """One row per input of this run: its stored record with this run's path and flags."""
    rows = []
    for claim in claims:
        record = book.submission(claim.hash) or SubmissionRecord(
            claim.hash, claim.student or "", claim.input.label, GRADER_ERROR,
            "calcgrade lost track of this submission; please report it", 0.0,
            assignment.total_points)
        flags = list(dict.fromkeys([f for f in record.flags.split("; ") if f] + claim.flags + claim.extra))
        rows.append(ReportRow(replace(record, path=claim.input.label, flags="; ".join(flags)),
                              claim.input.sha256, claim.counted))
    return rows


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


def _run(sandbox, item: Claim, answers: list[str], functions: dict):
    """Run one pending submission (an unreadable file never reaches the sandbox)."""
    from calcgrade.grader.sandbox import ExecutionResult
    from calcgrade.grader.sandbox.submission import InvalidSubmission, parse_submission

    try:
        submission = parse_submission(item.input.read(), item.input.label)
    except InputError as error:
        return ExecutionResult.invalid(error.reason)
    except InvalidSubmission as error:
        return ExecutionResult.invalid(error.reason)
    return sandbox.run(without_selfcheck(submission), answers=answers, functions=functions)


def without_selfcheck(submission):
    """The submission without its generated self-check cell, when that cell is unchanged:
    it only prints a report, so running it for every submission would be wasted time."""
    import dataclasses

    from calcgrade.grader.selfcheck import is_unchanged_selfcheck

    cells = tuple(cell for cell in submission.code_cells if not is_unchanged_selfcheck(cell[1]))
    if len(cells) == len(submission.code_cells):
        return submission
    return dataclasses.replace(submission, code_cells=cells)


def _run_all(book: Gradebook, sandbox, assignment: Assignment, variants: dict[str, list[Variant]],
             pending: list[Claim], workers: int, summary: GradeSummary,
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
        futures = {pool.submit(_run, sandbox, item, answers_of(item.student),
                               functions_of(item.student)): item for item in pending}
        for done, future in enumerate(as_completed(futures), start=1):
            item = futures.pop(future)
            _record(book, assignment, variants[item.student], item, future.result(), summary)
            if progress:
                progress(done, len(pending))


def _record(book: Gradebook, assignment: Assignment, variants: list[Variant], item: Claim,
            result, summary: GradeSummary) -> None:
    """Mark one result and commit it; a bug of ours becomes a row, never a stopped batch."""
    try:
        record, parts = mark_submission(assignment, variants, item, result)
    except Exception as error:
        record = SubmissionRecord(item.hash, item.student, item.input.label, GRADER_ERROR,
                                  f"calcgrade could not mark this submission "
                                  f"({type(error).__name__}); please report it",
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
