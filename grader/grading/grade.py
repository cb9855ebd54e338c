"""``calcgrade grade``: run submissions in the sandbox, mark them, keep the gradebook.

The flow (DESIGN §3, §7): collect the inputs, identify each student, choose the file
that counts for each student, skip submissions already in the gradebook (same content,
same assignment, same secret), then stream the rest through the sandbox pool in roster
order: a student's variants are made when their first submission comes up (from the
key's draw numbers when ``key`` is given, else by one walk of the roster that applies the
redraw rule, see :mod:`calcgrade.grader.course.variants`), at most ``2 × workers`` submissions
are in flight, each is marked in this process as soon as it is back, and the gradebook is
committed every ``COMMIT_EVERY`` submissions or ``COMMIT_SECONDS`` seconds. The memory of
this process does not grow with the number of submissions: once identified, this run's
inputs wait in a temporary table of the gradebook (read back a page at a time), no
student's variants outlive their marking, and the reports are written row by row from
the gradebook (the summary's table is read back from ``grades.csv``). Every input ends up
exactly once in ``submissions.csv``; one bad submission never stops the batch.

Whose each file is and which file counts for each student: :mod:`calcgrade.grader.grading.identity`.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Callable, Iterator

from calcgrade.grader.course.assignment import Assignment, load_assignment
from calcgrade.core.errors import UsageError
from calcgrade.grader.grading.gradebook import Gradebook, PartRecord, SubmissionRecord
from calcgrade.grader.grading.marking import answer_variable, mark_problem
from calcgrade.grader.grading.reports import GRADED, ReportRow, read_grades, write_reports
from calcgrade.grader.course.roster import Student, load_roster
from calcgrade.grader.course.secret import secret_check
from calcgrade.grader.grading.identity import (TOKEN_BAD, TOKEN_ELSEWHERE, Claim, choose_counted,
                                       choose_rule, identify)
from calcgrade.grader.grading.submissions import (DEFAULT_LIMITS, NOTEBOOK, OTHER, Input, InputError,
                                          InputLimits, collect_inputs)
from calcgrade.grader.course.variants import KeyDraws, RosterWalk, Variant, key_draws, variants_from_signed

GRADEBOOK = "gradebook.sqlite"
UNIDENTIFIED, GRADER_ERROR = "unidentified", "grader_error"
NOT_NOTEBOOK, SKIPPED = "not_notebook", "skipped"
COMMIT_EVERY, COMMIT_SECONDS = 20, 1.0
WINDOW_PER_WORKER = 2


@functools.lru_cache(maxsize=1)
def _calcgrade_version() -> str:
    """The installed calcgrade's version (read from its metadata once per process)."""
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

    @property
    def rows(self) -> Iterator[list[str]]:
        """The rows of the ``grades.csv`` just written, as its cells read (header first),
        read from the file as they are used: a large class is never held in memory."""
        return read_grades(self.out / "grades.csv")



def submission_hash(item: Input, student: str, assignment: Assignment, secret: bytes) -> str:
    """What a grading depends on: content, student, assignment, secret and calcgrade version."""
    digest = hashlib.sha256()
    for part in (assignment.sha256, secret_check(secret), student, _calcgrade_version(),
                 item.sha256 or item.reason):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _error_parts(variants: list[Variant], hash_: str, status: str) -> list[PartRecord]:
    """Zero-score parts for a submission that did not run, so every report has every part."""
    parts = []
    for variant in variants:
        problem, specs = variant.problem, variant.specs
        for name in specs:
            parts.append(PartRecord(hash_, problem.number, name, problem.family, 0.0,
                                    round(problem.points / len(specs), 6), status,
                                    "Not graded: the notebook did not run to the end.",
                                    None, "", "", ""))
    return parts


def answer_names(variants: list[Variant]) -> list[str]:
    """The notebook variables the sandbox extracts for one student."""
    return [answer_variable(v.problem.number, name) for v in variants for name in v.specs]


def requested_calls(variants: list[Variant]) -> dict:
    """Variable -> inputs for every answer that a student writes as a function (a function
    answer's test cases) or may write as one (an expression as a def or lambda of its
    variables): the sandbox calls it there."""
    from calcgrade.core.answers import function_inputs

    calls = {}
    for variant in variants:
        for name, spec in variant.specs.items():
            if spec.kind in ("expression", "function"):
                calls[answer_variable(variant.problem.number, name)] = \
                    function_inputs(spec, variant.answers[name])
    return calls


def mark_submission(assignment: Assignment, variants: list[Variant], pending: Claim,
                    result) -> tuple[SubmissionRecord, list[PartRecord]]:
    """Turn a sandbox result into gradebook rows (each variant's reference answers, specs
    and mistake table are the ones it computed once)."""
    flags = list(pending.flags)
    if result.status not in ("ok", "memory"):
        parts = _error_parts(variants, pending.hash, result.status)
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
    for variant in variants:
        problem = variant.problem
        variables = {name: answer_variable(problem.number, name) for name in variant.specs}
        answers = {name: result.answers.get(variable, {"$marker": "missing"})
                   for name, variable in variables.items()}
        calls = {name: result.function_results[variable]
                 for name, variable in variables.items() if variable in result.function_results}
        parts.extend(mark_problem(problem, variant.params, answers, pending.hash, calls,
                                  result.cell_errors, reference=variant.answers,
                                  specs=variant.specs, diagnosis=lambda v=variant: v.diagnosis))
    total = round(sum(p.score for p in parts), 6)
    record = SubmissionRecord(pending.hash, pending.student, pending.input.label, GRADED, "",
                              total, assignment.total_points, "; ".join(flags))
    return record, parts


def grade(paths: list[str], assignment_path: str, roster_path: str, out: str, secret: bytes, *,
          student: str | None = None, timeout: float = 60.0, memory_mib: int = 2048,
          workers: int = 2, reveal: bool = False, pick: list[str] | tuple[str, ...] = (),
          limits: InputLimits = DEFAULT_LIMITS,
          progress: Callable[[int, int], None] | None = None,
          key: str | None = None, allow_unverified: bool = False,
          sandbox=None, class_report: bool = True,
          submitted_at: str | None = None) -> GradeSummary:
    """Grade ``paths`` into ``out``; see the module docstring. ``pick`` holds the values of
    ``--pick``: ``last-path``, ``newest`` or files that count for their students. ``key``:
    the class's ``key.json``, whose draw numbers make each student's variants without
    walking the roster. Before anything is graded or written, a batch without a notebook
    and a batch whose notebooks mostly carry tokens that do not verify are refused
    (:func:`require_notebooks`, :func:`check_tokens`; ``allow_unverified`` grades anyway).
    ``sandbox``: a pool the caller launched early
    (:func:`~calcgrade.grader.sandbox.executor.pool_for`), used and closed here; by
    default a pool sized for the submissions that need running is started here.
    ``class_report``: write the class report (:mod:`calcgrade.grader.grading.class_report`) too,
    when more than one file was handed in (``calcgrade report OUT`` writes it any time).
    ``submitted_at``: ``--submitted-at`` (``mtime`` or a CSV of submission times, see
    :mod:`calcgrade.grader.grading.late`); with the assignment's ``deadline`` it marks late
    submissions. Copied answers are flagged whatever is given
    (:mod:`calcgrade.grader.grading.copies`)."""
    try:
        summary = _grade(paths, assignment_path, roster_path, out, secret, student, timeout,
                         memory_mib, workers, reveal, pick, limits, progress, key,
                         allow_unverified, sandbox, submitted_at)
    finally:
        if sandbox is not None:
            sandbox.close()  # at once (nothing is waited for) and a no-op once closed
    if class_report and summary.inputs > 1:
        from calcgrade.grader.grading.class_report import write_class_report

        write_class_report(out)
    return summary


def _grade(paths, assignment_path, roster_path, out, secret, student, timeout, memory_mib,
           workers, reveal, pick, limits, progress, key, allow_unverified,
           sandbox, submitted_at=None) -> GradeSummary:
    from calcgrade.grader.grading.late import submission_times

    assignment = load_assignment(assignment_path)
    times = submission_times(submitted_at)
    if times is not None and assignment.deadline is None:
        raise UsageError(f"--submitted-at needs a deadline in {assignment_path}: add a line like "
                         "deadline = 2025-03-14T23:59:00+01:00 at its top")
    draws = key_draws(key, assignment) if key is not None else None
    roster = load_roster(roster_path)
    roster_ids = [s.id for s in roster]
    if student is not None and student not in roster_ids:
        raise UsageError(f"--student {student!r} is not in the roster {roster_path}")
    rule, files = choose_rule(pick)
    with tempfile.TemporaryDirectory(prefix="calcgrade-inputs-") as spool:
        inputs = collect_inputs(paths, spool, limits)
        require_notebooks(inputs, paths)
        if student is not None:
            notebooks = [item for item in inputs if item.kind == NOTEBOOK]
            if len(notebooks) > 1:
                raise UsageError(f"--student names one student, but {len(notebooks)} notebooks "
                                 "were given")
        known = set(roster_ids)
        claims = [identify(item, known, assignment, secret, student) for item in inputs]
        del inputs, known  # the claims hold the inputs; _grade_claims lets them go
        if not allow_unverified:
            check_tokens(claims, assignment)
        choose_counted(claims, rule, files)
        return _grade_claims(claims, assignment, roster, roster_ids, Path(out), secret, timeout,
                             memory_mib, workers, reveal, progress, draws, sandbox, times)


def require_notebooks(inputs: list[Input], paths: list[str]) -> None:
    """Refuse a batch in which no file is a notebook: nothing could be graded, and the
    grades would say that every student handed in nothing."""
    if any(item.kind == NOTEBOOK for item in inputs):
        return
    given = " ".join(paths) if len(paths) <= 3 else f"{' '.join(paths[:3])} …"
    if not inputs:
        raise UsageError(f"{given}: no files to grade (an empty folder?)")
    shown = "; ".join(f"{item.label}: {item.reason}" for item in inputs[:3])
    more = f"; and {len(inputs) - 3} more" if len(inputs) > 3 else ""
    raise UsageError(f"{given}: no notebook (.ipynb) to grade among {len(inputs)} file"
                     f"{'s' if len(inputs) != 1 else ''} ({shown}{more}); calcgrade grades the "
                     "Jupyter notebooks that 'calcgrade generate' made")


class UnverifiedTokensError(UsageError):
    """Most notebooks of a batch carry a token that does not verify: the course secret (or
    the assignment file) is not the one the notebooks were generated with."""


def check_tokens(claims: list[Claim], assignment: Assignment) -> None:
    """Stop before grading when most notebooks that carry a calcgrade token fail to verify
    under this secret and assignment: grading would mark every student wrong.

    "Most" is more than half of the notebooks with a token; one notebook graded alone whose
    token fails is refused too. A few failing tokens (an edited notebook) are graded and
    flagged as usual.
    """
    tokens = [claim.token for claim in claims if claim.token]
    bad = sum(token == TOKEN_BAD for token in tokens)
    elsewhere = sum(token == TOKEN_ELSEWHERE for token in tokens)
    if not tokens or 2 * (bad + elsewhere) <= len(tokens):
        return
    override = "or pass --allow-unverified to grade them anyway"
    if elsewhere > bad:
        raise UnverifiedTokensError(
            f"{elsewhere} of {len(tokens)} notebooks were generated for another assignment, not "
            f"{assignment.id!r} ({assignment.source}): give the assignment file they were "
            f"generated from with --assignment, {override}")
    raise UnverifiedTokensError(
        f"{bad} of {len(tokens)} notebooks carry a calcgrade token that does not verify: the "
        f"course secret differs from the one the notebooks were generated with; grade with "
        f"that secret (--secret-file FILE or $CALCGRADE_SECRET), {override}")


def _grade_claims(claims: list[Claim], assignment: Assignment, roster, roster_ids: list[str],
                  out_dir: Path, secret: bytes, timeout: float, memory_mib: int, workers: int,
                  reveal: bool, progress, draws: KeyDraws | None = None,
                  sandbox=None, times=None) -> GradeSummary:
    from calcgrade.grader.sandbox.executor import pool_for
    from calcgrade.grader.sandbox.limits import Limits

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = GradeSummary(out_dir, inputs=len(claims))
    with Gradebook(out_dir / GRADEBOOK) as book:
        owner = book.get_meta("assignment")
        if owner is not None and owner != assignment.id:
            raise UsageError(f"{out_dir} holds the grades of assignment {owner!r}, not "
                             f"{assignment.id!r}; choose another --out")
        book.set_meta("assignment", assignment.id)
        pending = _pending(book, claims, assignment, secret, summary)
        if draws is not None:
            absent = sorted({claim.student for claim in pending} - set(draws.draws))
            if absent:
                raise UsageError(f"--key {draws.path} has no variants for {absent[0]!r}"
                                 + (f" and {len(absent) - 1} more" if len(absent) > 1 else "")
                                 + ": give the key of this roster's class, or grade without --key")
        to_grade = len(pending)
        # the notebooks identification parsed and kept (a bounded number of bytes in all,
        # see InputLimits.kept_bytes) go to the sandbox without being read again
        parsed = {claim.hash: claim.notebook for claim in pending
                  if claim.notebook is not None and claim.input.data is not None}
        _keep_run(book, claims, pending, roster_ids)
        del pending
        record_class(book, assignment, roster, claims)
        claims.clear()  # from here on the run's inputs are read back from the gradebook
        closing = None
        if not to_grade and sandbox is not None:
            closing = _in_background(sandbox.close)
        elif to_grade:
            if sandbox is None:
                limits = Limits(wall_seconds=timeout, memory_bytes=memory_mib * 1024 * 1024)
                sandbox = pool_for(to_grade, workers, limits)
            try:
                # the workers boot (importing numpy, IPython) while the first variants
                # are drawn; a run waits for them
                sandbox.launch()
                jobs = _jobs(book, _variant_source(assignment, secret, roster_ids, draws), parsed)
                _run_all(book, sandbox, assignment, jobs, to_grade, sandbox.size, summary,
                         progress, sandbox.start)
            except BaseException:
                sandbox.close()
                raise
            # every result is in: the workers stop while the reports are written
            closing = _in_background(sandbox.close)
        try:
            _write_reports(book, assignment, roster, out_dir, reveal, times)
        finally:
            if closing is not None:
                closing()
    return summary


def _claim_state(claim: Claim) -> str:
    """A claim as JSON text, to keep it in the gradebook's run table (see
    :meth:`Gradebook.start_run`) instead of memory."""
    item = claim.input
    fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "data"}
    fields["source"] = None if item.source is None else os.fspath(item.source)
    return json.dumps({"input": fields, "student": claim.student, "how": claim.how,
                       "flags": claim.flags, "reason": claim.reason, "hash": claim.hash,
                       "extra": claim.extra, "counted": claim.counted, "token": claim.token,
                       "draws": claim.draws})


def _claim_from(state: str) -> Claim:
    """The claim :func:`_claim_state` kept.

    >>> from calcgrade.grader.grading.submissions import Input
    >>> claim = Claim(Input("a/s1.ipynb", "notebook", Path("a/s1.ipynb"), "ab", 3), "s1",
    ...               "file name", ["a flag"], hash="h")
    >>> _claim_from(_claim_state(claim)) == claim
    True
    """
    data = json.loads(state)
    fields = data.pop("input")
    if fields["source"] is not None:
        fields["source"] = Path(fields["source"])
    return Claim(Input(**fields), **data)


def _keep_run(book: Gradebook, claims: list[Claim], pending: list[Claim],
              roster_ids: list[str]) -> None:
    """Write this run's claims to the gradebook's run table: in path order, each pending
    one with its turn (roster order, ties in input order)."""
    position = {student: index for index, student in enumerate(roster_ids)}
    turns = {id(claim): turn for turn, claim in
             enumerate(sorted(pending, key=lambda claim: position[claim.student]))}
    in_path_order = sorted(claims, key=lambda claim: (claim.input.label, claim.hash))
    book.start_run((turns.get(id(claim)), claim.student, claim.counted, _claim_state(claim))
                   for claim in in_path_order)


DRAWS_STALE = ("the notebook's signed draw numbers no longer give the variants it was "
               "generated with (the assignment file changed since); its variants were drawn by "
               "walking the roster")


def _variant_source(assignment: Assignment, secret: bytes, roster_ids: list[str],
                    draws: KeyDraws | None) -> Callable[[Claim], list[Variant]]:
    """claim -> its student's variants; called in roster order, once per student. From the
    key's draw numbers when given; else from the notebook's signed draw numbers when they
    verified for that student (``Claim.draws``: one student's work, whatever the roster's
    size); else one walk of the roster, advanced only as far as such a student (earlier
    students without a submission are drawn for the redraw rule only, and forgotten)."""
    if draws is not None:
        return lambda claim: draws.variants(secret, claim.student)
    walk = RosterWalk(assignment, secret)
    remaining = iter(roster_ids)

    def variants_of(claim: Claim) -> list[Variant]:
        student = claim.student
        if claim.draws is not None:
            variants = variants_from_signed(assignment, secret, student, claim.draws, walk.fixed)
            if variants is not None:
                return variants
            claim.flags.append(DRAWS_STALE)
        for walked in remaining:
            variants = walk.next(walked)
            if walked == student:
                return variants
        raise AssertionError(f"{student!r} is not further down the roster")  # pragma: no cover
    return variants_of


def _jobs(book: Gradebook, variants_of: Callable[[Claim], list[Variant]],
          parsed: dict | None = None) -> Iterator[tuple[Claim, list[Variant]]]:
    """The pending claims in roster order, read back from the gradebook a page at a time,
    each with its student's variants, made when the student's first claim comes up and
    shared by the student's other claims. ``parsed`` holds the notebooks identification
    parsed and kept, by hash (the others are read again, checked against their hash)."""
    parsed = {} if parsed is None else parsed
    current, variants = None, []
    for state in book.run_in_turn():
        claim = _claim_from(state)
        claim.notebook = parsed.pop(claim.hash, None)
        if claim.student != current:
            current, variants = claim.student, variants_of(claim)
        yield claim, variants


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


def _report_row(book: Gradebook, claim: Claim, assignment: Assignment) -> ReportRow:
    """One input of this run: its stored record with this run's path and flags."""
    record = book.submission(claim.hash) or SubmissionRecord(
        claim.hash, claim.student or "", claim.input.label, GRADER_ERROR,
        "calcgrade lost track of this submission; please report it", 0.0,
        assignment.total_points)
    # a flag may hold "; " itself: one already in the record's text is not added again
    flags = list(dict.fromkeys([record.flags] * bool(record.flags)
                               + [f for f in claim.flags + claim.extra if f not in record.flags]))
    return ReportRow(replace(record, path=claim.input.label, flags="; ".join(flags)),
                     claim.input.sha256, claim.counted)


def _write_reports(book: Gradebook, assignment: Assignment, roster, out_dir: Path,
                   reveal: bool, times=None) -> None:
    """Write the reports from the gradebook, one input or student at a time: this run's
    claims and their records are read back from it as each row is written. First the
    run's notes (copied answers, lateness: :mod:`calcgrade.grader.grading.notes`) join the
    flags of each counted submission."""
    from calcgrade.grader.grading.notes import class_notes

    def counted_input(student: str) -> tuple[str, float] | None:
        state = book.counted_state(student)
        if state is None:
            return None
        claim = _claim_from(state)
        return claim.input.label, claim.input.mtime

    notes = class_notes(book, assignment, times, counted_input)

    def noted(row: ReportRow) -> ReportRow:
        note = notes.get(row.record.student) if row.counted else None
        if note is None:
            return row
        flags = "; ".join([f for f in row.record.flags.split("; ") if f] + note.flags())
        return replace(row, record=replace(row.record, flags=flags))

    def counted(student: str) -> SubmissionRecord | None:
        state = book.counted_state(student)
        return None if state is None else noted(_report_row(book, _claim_from(state),
                                                             assignment)).record

    flags: dict[str, list[str]] = {}

    def in_roster_order():
        """Every roster student with the record that counts (or None): the roster merged
        with the counted inputs read in roster order, so a student without one costs no
        lookup."""
        found = book.counted_in_roster_order()
        upcoming = next(found, None)
        for position, student in enumerate(roster):
            record = None
            if upcoming is not None and upcoming[0] == position:
                record = noted(_report_row(book, _claim_from(upcoming[1]), assignment)).record
                upcoming = next(found, None)
            yield student, record

    def rows():
        for state in book.run_in_path_order():
            row = noted(_report_row(book, _claim_from(state), assignment))
            if row.counted and row.record.student:
                flags[row.record.student] = row.record.flags
            yield row

    write_reports(out_dir, assignment, in_roster_order, rows, counted, book.counted_students,
                  book.parts, reveal, notes)
    record_outputs(book, flags, reveal)


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
    """Run one pending submission (an unreadable file never reaches the sandbox), from the
    parse identification made when there is one."""
    from calcgrade.grader.sandbox.result import ExecutionResult
    from calcgrade.grader.sandbox.submission import InvalidSubmission, parse_submission

    submission, item.notebook = item.notebook, None
    try:
        if submission is None:
            submission = parse_submission(item.input.read(), item.input.label)
        if isinstance(submission, InvalidSubmission):
            raise submission
    except InputError as error:
        return ExecutionResult.invalid(error.reason)
    except InvalidSubmission as error:
        return ExecutionResult.invalid(error.reason)
    return sandbox.run(without_selfcheck(submission), answers=answers, functions=functions)


def without_selfcheck(submission):
    """The submission without its generated self-check cell, when that cell is unchanged:
    it only prints a report, so running it for every submission would be wasted time."""
    import dataclasses

    from calcgrade.grader.generation.selfcheck import is_unchanged_selfcheck

    # a list first: a tuple built from a generator that releases the GIL (the frame's
    # digests are read from a file once) can be seen half-built by gc.get_objects() in
    # another thread, which CPython 3.11 then refuses to resize (SystemError)
    cells = tuple([cell for cell in submission.code_cells if not is_unchanged_selfcheck(cell[1])])
    if len(cells) == len(submission.code_cells):
        return submission
    return dataclasses.replace(submission, code_cells=cells)


def _run_all(book: Gradebook, sandbox, assignment: Assignment,
             jobs: Iterator[tuple[Claim, list[Variant]]], total: int, workers: int,
             summary: GradeSummary, progress: Callable[[int, int], None] | None,
             starting: Callable[[], None] = lambda: None) -> None:
    """Keep every worker busy with a bounded window of submissions in flight; mark each as
    soon as it is back and commit the gradebook in small groups."""
    window = max(1, WINDOW_PER_WORKER * workers)
    group = _CommitGroup(book)
    if progress:
        progress(0, total)
    done = 0

    def finish(record: SubmissionRecord, parts: list[PartRecord]) -> None:
        nonlocal done
        group.add(record, parts)
        _count(summary, record.status)
        done += 1
        if progress:
            progress(done, total)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        in_flight: dict = {}

        def fill() -> None:
            while len(in_flight) < window:
                job = next(jobs, None)
                if job is None:
                    return
                claim, variants = job
                try:
                    answers, functions = answer_names(variants), requested_calls(variants)
                except Exception as error:  # a bug of ours: a row, never a stopped batch
                    finish(_grader_error(assignment, claim, error), [])
                    continue
                starting()
                in_flight[pool.submit(_run, sandbox, claim, answers, functions)] = job

        try:
            fill()
            while in_flight:
                finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in finished:
                    claim, variants = in_flight.pop(future)
                    finish(*_mark(assignment, variants, claim, future.result()))
                group.commit_if_due()
                fill()
        finally:
            group.commit()


class _CommitGroup:
    """Marked submissions waiting for their transaction: committed every ``COMMIT_EVERY``
    submissions or ``COMMIT_SECONDS`` seconds, and at the end."""

    def __init__(self, book: Gradebook):
        self.book = book
        self.items: list = []
        self.since = time.monotonic()

    def add(self, record: SubmissionRecord, parts: list[PartRecord]) -> None:
        self.items.append((record, parts))

    def commit_if_due(self) -> None:
        if len(self.items) >= COMMIT_EVERY or time.monotonic() - self.since >= COMMIT_SECONDS:
            self.commit()

    def commit(self) -> None:
        if self.items:
            self.book.record_group(self.items)
            self.items = []
        self.since = time.monotonic()


def _grader_error(assignment: Assignment, item: Claim, error: BaseException) -> SubmissionRecord:
    return SubmissionRecord(item.hash, item.student, item.input.label, GRADER_ERROR,
                            f"calcgrade could not mark this submission "
                            f"({type(error).__name__}); please report it",
                            0.0, assignment.total_points, "; ".join(item.flags))


def _mark(assignment: Assignment, variants: list[Variant], item: Claim,
          result) -> tuple[SubmissionRecord, list[PartRecord]]:
    """Mark one result; a bug of ours becomes a row, never a stopped batch."""
    try:
        return mark_submission(assignment, variants, item, result)
    except Exception as error:
        return _grader_error(assignment, item, error), []


def _count(summary: GradeSummary, status: str) -> None:
    if status == GRADED:
        summary.graded += 1
    else:
        summary.failed += 1


def record_outputs(book: Gradebook, flags: dict[str, list[str]], reveal: bool) -> None:
    """Record how this run wrote its reports (``--reveal``, the flags of each counted
    submission as grades.csv shows them), so that a review can write them again."""
    import json

    book.set_meta("reveal", "1" if reveal else "")
    book.set_meta("counted_flags", json.dumps(flags, sort_keys=True, ensure_ascii=False))


def record_class(book: Gradebook, assignment: Assignment, roster, claims: list[Claim]) -> None:
    """Record in the gradebook the roster and the submission that counts for each student,
    as of this run (what ``calcgrade export grades`` and the Python API read back): one
    row per roster student, written in one statement as the roster is read."""
    import json

    counted = {claim.student: claim.hash for claim in claims if claim.counted and claim.student}
    rows = ((position, student.id, _fields_json(student), counted.get(student.id))
            for position, student in enumerate(roster))
    meta = {"title": assignment.title, "total_points": repr(float(assignment.total_points)),
            "problems": json.dumps([problem.number for problem in assignment.problems]),
            "problem_titles": json.dumps({str(problem.number): problem.title or ""
                                          for problem in assignment.problems}, sort_keys=True)}
    book.set_class(meta, rows)


def _fields_json(student: Student) -> str:
    """A roster student's non-empty fields but the id, as ``json.dumps(..., ensure_ascii=False)``
    writes them (the field names need no escaping), without an encoder per student.

    >>> print(_fields_json(Student("ann", name="Ann Lee", email="ann@example.org")))
    {"name": "Ann Lee", "email": "ann@example.org"}
    """
    from json.encoder import encode_basestring

    return "{" + ", ".join([f'"{name}": {encode_basestring(value)}'
                            for name, value in vars(student).items() if value and name != "id"]) + "}"
