"""``calcgrade grade``: run submissions in the sandbox, mark them, keep the gradebook.

The flow (DESIGN §3, §7): collect the inputs, identify each student, choose the file
that counts for each student, regenerate every variant from the secret, skip submissions
already in the gradebook (same content, same assignment, same secret), run the rest in the
sandbox pool, mark each one in this process and commit it to the gradebook as soon as it
is marked, then write the reports. Every input ends up exactly once in ``submissions.csv``;
one bad submission never stops the batch.

Whose a file is: ``--student``, else the file, folder or archive name, else (notebooks
only) the notebook's signed metadata. Which file counts when a student has several
(:func:`choose_counted`): a file chosen with ``--pick FILE``; else files named by
``--student`` or by their path beat files identified only by metadata, so a notebook
carrying a classmate's metadata never replaces that classmate's own file; then notebooks
beat other files, which beat files not read; then the rule, ``--pick last-path`` (the
default: the last in path order) or ``--pick newest`` (the latest modification time). Every
file of a student with several is flagged.

>>> choose_rule(["newest", "hw/ada.ipynb"])
('newest', ['hw/ada.ipynb'])
"""

from __future__ import annotations

import hashlib
import json
import os
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
from calcgrade.grader.marking import mark_problem
from calcgrade.grader.reports import GRADED, ReportRow, write_reports
from calcgrade.grader.roster import load_roster
from calcgrade.grader.secret import secret_check, verify_token
from calcgrade.grader.submissions import (DEFAULT_LIMITS, NOTEBOOK, OTHER, Input, InputError,
                                          InputLimits, collect_inputs, identify_from_path)
from calcgrade.grader.variants import Variant, iter_class_variants

GRADEBOOK = "gradebook.sqlite"
UNIDENTIFIED, GRADER_ERROR = "unidentified", "grader_error"
NOT_NOTEBOOK, SKIPPED = "not_notebook", "skipped"
LAST_PATH, NEWEST = "last-path", "newest"
PICK_RULES = (LAST_PATH, NEWEST)
BY_METADATA = "signed metadata"


def _calcgrade_version() -> str:
    try:
        return version("calcgrade")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "source"


@dataclass
class Claim:
    """One input, whose it is and how that was found; ``hash`` keys its gradebook row."""

    input: Input
    student: str | None
    how: str            # "--student", "file name", "folder name", "archive name",
                        # "signed metadata", or "" when unidentified
    flags: list[str]    # what identification noticed (a token that does not verify …)
    reason: str = ""                # why it is not identified
    hash: str = ""
    extra: list[str] = field(default_factory=list)   # flags of this run's selection
    counted: bool = False           # the file that counts for its student

    @property
    def by_path(self) -> bool:
        """Named by --student or by its path (stronger than notebook metadata)."""
        return self.how not in ("", BY_METADATA)


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


def answer_variable(problem_number: int, answer: str) -> str:
    """The notebook variable of one answer: ``q<N>_<answer>``."""
    return f"q{problem_number}_{answer}"


def notebook_metadata(data: bytes | None) -> dict:
    """``metadata.calcgrade`` of a notebook's bytes, or {} (read as JSON, never run)."""
    try:
        meta = json.loads(data or b"").get("metadata", {}).get("calcgrade", {})
    except (ValueError, AttributeError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def identify(item: Input, roster_ids: set[str], assignment: Assignment, secret: bytes,
             forced: str | None) -> Claim:
    """Whose ``item`` is: ``forced`` (--student), its path, else its verified metadata."""
    student, how = (forced, "--student") if forced else identify_from_path(item.name or item.label,
                                                                            roster_ids)
    if item.kind != NOTEBOOK:
        reason = "" if student else "no roster id in the file or folder name"
        return Claim(item, student, how if student else "", [], reason)
    try:
        data = item.read()
    except InputError:
        data = None
    meta = notebook_metadata(data)
    claimed, token = meta.get("student"), meta.get("token")
    token_ok = isinstance(claimed, str) and isinstance(token, str) and \
        meta.get("assignment") == assignment.id and verify_token(secret, assignment.id, claimed, token)
    if student is None and token_ok and claimed in roster_ids:
        return Claim(item, claimed, BY_METADATA, ["identified by the notebook's signed metadata"])
    if student is None:
        return Claim(item, None, "", [], "no roster id in the file or folder name and no valid signed "
                     "metadata; rename the file to <id>.ipynb or grade it with --student")
    flags = []
    if data is not None and meta:
        if not token_ok:
            flags.append("the notebook's calcgrade token does not verify (edited metadata, "
                         "another assignment or another course)")
        elif claimed != student:
            flags.append(f"the notebook was generated for {claimed!r} but submitted as {student!r}; "
                         f"graded as {student!r}'s variant")
    elif data is not None and not meta:
        flags.append("the notebook has no calcgrade metadata")
    return Claim(item, student, how, flags)


def choose_rule(pick: list[str] | tuple[str, ...]) -> tuple[str, list[str]]:
    """(rule, explicit files) from the ``--pick`` values; the last rule named wins."""
    rules = [value for value in pick if value in PICK_RULES]
    return (rules[-1] if rules else LAST_PATH), [value for value in pick if value not in PICK_RULES]


def _matches(claim: Claim, wanted: str) -> bool:
    label = claim.input.label
    if label == wanted:
        return True
    if "!" in wanted or "!" in label:
        return False
    return os.path.realpath(label) == os.path.realpath(wanted)


def _explicit_choices(claims: list[Claim], files: list[str]) -> dict[str, Claim]:
    chosen: dict[str, Claim] = {}
    for wanted in files:
        found = [claim for claim in claims if _matches(claim, wanted)]
        if not found:
            raise UsageError(f"--pick {wanted}: not one of the submissions given")
        claim = found[0]
        if claim.student is None:
            raise UsageError(f"--pick {wanted}: no student is identified for this file; rename it "
                             "to <id>.ipynb or grade it alone with --student")
        if claim.student in chosen and chosen[claim.student] is not claim:
            raise UsageError(f"--pick {wanted}: {chosen[claim.student].input.label} is already "
                             f"picked for {claim.student}")
        chosen[claim.student] = claim
    return chosen


_KIND_RANK = {NOTEBOOK: 0, OTHER: 1}


def _why(winner: Claim, others: list[Claim], rule: str, explicit: bool) -> str:
    if explicit:
        return "chosen with --pick"
    if winner.by_path and any(not c.by_path for c in others):
        return "named by its file or folder; a notebook's metadata never replaces that"
    if any(_KIND_RANK.get(c.input.kind, 2) > _KIND_RANK.get(winner.input.kind, 2) for c in others):
        return "a notebook" if winner.input.kind == NOTEBOOK else "the only file that could be read"
    return "the newest" if rule == NEWEST else "the last by path"


def choose_counted(claims: list[Claim], rule: str = LAST_PATH,
                   files: list[str] | tuple[str, ...] = ()) -> dict[str, Claim]:
    """Student -> the claim that counts (see the module docstring); flags every claim of a
    student with several files in ``claim.extra``."""
    explicit = _explicit_choices(claims, list(files))
    by_student: dict[str, list[Claim]] = {}
    for claim in claims:
        if claim.student is not None:
            by_student.setdefault(claim.student, []).append(claim)

    def rank(claim: Claim) -> tuple:
        order = (claim.input.mtime, claim.input.label) if rule == NEWEST else (claim.input.label,)
        return (claim.by_path, -_KIND_RANK.get(claim.input.kind, 2), *order)

    chosen = {}
    for student, mine in by_student.items():
        winner = explicit.get(student) or max(mine, key=rank)
        chosen[student] = winner
        winner.counted = True
        if len(mine) == 1:
            continue
        others = [c for c in mine if c is not winner]
        why = _why(winner, others, rule, student in explicit)
        shown = ", ".join(c.input.label for c in others[:3]) + (", …" if len(others) > 3 else "")
        winner.extra.append(f"{len(mine)} files for {student}: this one counts ({why}); "
                            f"not counted: {shown}")
        for claim in others:
            note = f"not counted: {len(mine)} files for {student}, {winner.input.label} counts ({why})"
            if claim.how == BY_METADATA and winner.by_path:
                note = (f"not counted: its signed metadata names {student}, whose own file "
                        f"{winner.input.label} counts (metadata never replaces a file named by "
                        f"its file or folder name)")
            claim.extra.append(note)
    return chosen


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
        answers = {name: result.answers.get(answer_variable(problem.number, name),
                                            {"$marker": "missing"})
                   for name in names}
        parts.extend(mark_problem(problem, variant.params, answers, pending.hash))
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


def _run(sandbox, item: Claim, answers: list[str]):
    """Run one pending submission (an unreadable file never reaches the sandbox)."""
    from calcgrade.grader.sandbox import ExecutionResult
    from calcgrade.grader.sandbox.submission import InvalidSubmission, parse_submission

    try:
        submission = parse_submission(item.input.read(), item.input.label)
    except InputError as error:
        return ExecutionResult.invalid(error.reason)
    except InvalidSubmission as error:
        return ExecutionResult.invalid(error.reason)
    return sandbox.run(submission, answers=answers)


def _run_all(book: Gradebook, sandbox, assignment: Assignment, variants: dict[str, list[Variant]],
             pending: list[Claim], workers: int, summary: GradeSummary,
             progress: Callable[[int, int], None] | None) -> None:
    """Keep every worker busy; mark and record each submission as soon as it is back."""
    def answers_of(student_id: str) -> list[str]:
        return [answer_variable(p.number, name) for p, v in zip(assignment.problems, variants[student_id])
                for name in p.answer_specs(v.params)]

    if progress:
        progress(0, len(pending))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run, sandbox, item, answers_of(item.student)): item for item in pending}
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
