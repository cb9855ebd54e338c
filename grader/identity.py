"""Whose each submitted file is, and which file counts when a student has several.

Whose a file is: ``--student``, else the file, folder or archive name
(:func:`calcgrade.grader.submissions.identify_from_path`), else, for a notebook only, its
signed metadata (``metadata.calcgrade``, read as JSON and never run; the token must
verify under the course secret).

Which file counts (:func:`choose_counted`), in this order:

1. a file chosen with ``--pick FILE``;
2. files named for the student by ``--student`` or their path beat files identified only
   by metadata, so a notebook carrying a classmate's metadata never replaces that
   classmate's own file;
3. notebooks beat other files, which beat files that were not read;
4. the rule: ``last-path`` (the default: the last in path order) or ``newest`` (the latest
   modification time, ties by path).

Every file of a student with several is flagged, counted or not.

>>> choose_rule(["newest", "hw/ada.ipynb"])
('newest', ['hw/ada.ipynb'])
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from calcgrade.core.errors import UsageError
from calcgrade.grader.assignment import Assignment
from calcgrade.grader.sandbox.submission import InvalidSubmission, Submission, parse_submission
from calcgrade.grader.secret import verify_token
from calcgrade.grader.submissions import NOTEBOOK, OTHER, Input, InputError, identify_from_path

LAST_PATH, NEWEST = "last-path", "newest"
PICK_RULES = (LAST_PATH, NEWEST)
BY_METADATA = "signed metadata"
# what a notebook's token says: issued under this secret for this assignment; for this
# assignment but not under this secret (or edited); issued for another assignment
TOKEN_OK, TOKEN_BAD, TOKEN_ELSEWHERE = "verified", "does not verify", "another assignment"


@dataclass
class Claim:
    """One input, whose it is and how that was found; ``hash`` keys its gradebook row."""

    input: Input
    student: str | None
    how: str            # "--student", "file name", "folder name", "archive name",
                        # "signed metadata", or "" when unidentified
    flags: list[str]    # what identification noticed (a token that does not verify …)
    reason: str = ""    # why it is not identified
    hash: str = ""      # its gradebook key, set when the batch runs
    extra: list[str] = field(default_factory=list)   # flags of this run's selection
    counted: bool = False                            # the file that counts for its student
    token: str = ""     # the notebook's signed metadata: TOKEN_OK, TOKEN_BAD, TOKEN_ELSEWHERE or ""
    # The notebook as identification parsed it, for the sandbox to run without reading
    # or parsing it again (kept while its input keeps its bytes; dropped once run).
    notebook: Submission | InvalidSubmission | None = field(default=None, repr=False)

    @property
    def by_path(self) -> bool:
        """Named by --student or by its path (stronger than notebook metadata)."""
        return self.how not in ("", BY_METADATA)


def notebook_metadata(data: bytes | None) -> dict:
    """``metadata.calcgrade`` of a notebook's bytes, or {} (read as JSON, never run).

    >>> notebook_metadata(b'{"metadata": {"calcgrade": {"student": "ada"}}}'), notebook_metadata(b"x")
    ({'student': 'ada'}, {})
    """
    try:
        meta = json.loads(data or b"").get("metadata", {}).get("calcgrade", {})
    except (ValueError, AttributeError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}


def parse_notebook(item: Input) -> Submission | InvalidSubmission | None:
    """The notebook of ``item`` parsed once (read as JSON, never run): a
    :class:`Submission`, the :class:`InvalidSubmission` saying why it is not a runnable
    notebook, or None when the file cannot be read (again)."""
    try:
        data = item.read()
    except InputError:
        return None
    try:
        return parse_submission(data, item.label, item.max_bytes)
    except InvalidSubmission as error:
        return error


def calcgrade_metadata(notebook: Submission | InvalidSubmission | None) -> dict:
    """``metadata.calcgrade`` of a parsed notebook (even of one that cannot run), or {}.

    >>> calcgrade_metadata(Submission("a.ipynb", "", (), {"calcgrade": {"student": "ada"}}))
    {'student': 'ada'}
    >>> calcgrade_metadata(InvalidSubmission("no cells", {"calcgrade": "odd"})), calcgrade_metadata(None)
    ({}, {})
    """
    meta = notebook.metadata.get("calcgrade", {}) if notebook is not None else {}
    return meta if isinstance(meta, dict) else {}


def identify(item: Input, roster_ids: set[str], assignment: Assignment, secret: bytes,
             forced: str | None) -> Claim:
    """Whose ``item`` is: ``forced`` (--student), its path, else its verified metadata.
    A notebook kept in memory by its input keeps its parse in ``Claim.notebook``."""
    student, how = (forced, "--student") if forced else identify_from_path(item.name or item.label,
                                                                            roster_ids)
    if item.kind != NOTEBOOK:
        reason = "" if student else "no roster id in the file or folder name"
        return Claim(item, student, how if student else "", [], reason)
    notebook = parse_notebook(item)
    claim = _identify_notebook(item, notebook, student, how, roster_ids, assignment, secret)
    if item.data is not None:
        claim.notebook = notebook
    return claim


def _identify_notebook(item: Input, notebook, student: str | None, how: str,
                       roster_ids: set[str], assignment: Assignment, secret: bytes) -> Claim:
    meta = calcgrade_metadata(notebook)
    claimed, token = meta.get("student"), meta.get("token")
    token_ok = isinstance(claimed, str) and isinstance(token, str) and \
        meta.get("assignment") == assignment.id and verify_token(secret, assignment.id, claimed, token)
    status = _token_status(meta, token_ok, assignment)
    if student is None and token_ok and claimed in roster_ids:
        return Claim(item, claimed, BY_METADATA, ["identified by the notebook's signed metadata"],
                     token=status)
    if student is None:
        return Claim(item, None, "", [], "no roster id in the file or folder name and no valid signed "
                     "metadata; rename the file to <id>.ipynb or grade it with --student", token=status)
    flags = []
    if notebook is not None and meta:
        if not token_ok:
            flags.append("the notebook's calcgrade token does not verify (edited metadata, "
                         "another assignment or another course)")
        elif claimed != student:
            flags.append(f"the notebook was generated for {claimed!r} but submitted as {student!r}; "
                         f"graded as {student!r}'s variant")
    elif notebook is not None and not meta:
        flags.append("the notebook has no calcgrade metadata")
    return Claim(item, student, how, flags, token=status)


def _token_status(meta: dict, token_ok: bool, assignment: Assignment) -> str:
    """What a notebook's signed metadata says (see :class:`Claim`), "" without a token."""
    claimed, token, issued_for = meta.get("student"), meta.get("token"), meta.get("assignment")
    if not (isinstance(claimed, str) and isinstance(token, str)):
        return ""
    if token_ok:
        return TOKEN_OK
    if isinstance(issued_for, str) and issued_for != assignment.id:
        return TOKEN_ELSEWHERE
    return TOKEN_BAD


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
