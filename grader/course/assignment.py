"""Assignment files (TOML): what a class gets, loaded and checked into dataclasses.

Top-level keys: ``id`` (file-name-safe text; it salts every seed), ``title``, optional
``instructions`` (Markdown), ``due`` (free text), ``deadline`` (a time with a zone, for
late submissions), ``[late]`` (``penalty_per_day``, a fraction of the total per started
day late, and/or ``cutoff``, a time after which a submission scores 0), ``[tolerance]``
(``rtol``/``atol`` defaults for every numeric answer) and one ``[[problems]]`` table per problem with
``family``, ``points``, and optionally ``id`` (keeps a problem's variants when problems
are reordered; defaults to its number), ``title``, ``options`` (sampling options of the
family), ``params`` (a fixed variant, e.g. a textbook example; not with ``options``) and
``tolerance.<answer>`` tables. ``examples/assignment.toml`` documents every key.

Every mistake is a :class:`~calcgrade.core.errors.UsageError` whose message names the
file, the line where known, the problem and the fix.

>>> text = '''
... id = "hw1"
... title = "Sigmoid"
... [[problems]]
... family = "sigmoid_gradient"
... points = 2
... options = { mode = "z" }
... '''
>>> assignment = parse_assignment(text, "hw1.toml")
>>> [(p.number, p.slot, p.family, p.points) for p in assignment.problems]
[(1, '1', 'sigmoid_gradient', 2)]
>>> parse_assignment(text.replace('mode = "z"', 'mood = "z"'), "hw1.toml")
Traceback (most recent call last):
...
calcgrade.core.errors.OptionsError: hw1.toml: line 7: problem 1 (sigmoid_gradient): unknown option 'mood' (options: mode, features, answer)
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import os
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from calcgrade.core.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TOP_KEYS = ("id", "title", "instructions", "due", "deadline", "late", "tolerance", "problems")
LATE_KEYS = ("penalty_per_day", "cutoff")
PROBLEM_KEYS = ("family", "points", "id", "title", "options", "params", "tolerance")
TOLERANCE_KEYS = ("rtol", "atol")
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Problem:
    """One problem slot of an assignment."""

    number: int
    slot: str
    family: str
    points: float
    title: str = ""
    options: dict = field(default_factory=dict)
    params: dict | None = None
    tolerances: dict = field(default_factory=dict)
    default_tolerance: dict = field(default_factory=dict)

    @property
    def fixed(self) -> bool:
        """Whether every student gets the same, explicitly given params."""
        return self.params is not None

    def family_object(self):
        """The problem family (from the registry)."""
        from calcgrade.problems import get_family

        return get_family(self.family)

    def answer_specs(self, params: Mapping[str, Any]) -> dict:
        """The family's answer specs for ``params`` with this assignment's tolerances."""
        specs = self.family_object().answer_specs(params)
        out = {}
        for name, spec in specs.items():
            changes = {**self.default_tolerance, **self.tolerances.get(name, {})}
            out[name] = dataclasses.replace(spec, **changes) if changes else spec
        return out


@dataclass(frozen=True)
class LatePolicy:
    """What a late submission loses: ``penalty_per_day`` (a fraction of the total per
    started day after the deadline) and/or a ``cutoff`` time after which it scores 0."""

    penalty_per_day: float = 0.0
    cutoff: datetime | None = None


@dataclass(frozen=True)
class Assignment:
    """A checked assignment file."""

    id: str
    title: str
    problems: tuple[Problem, ...]
    instructions: str = ""
    due: str = ""
    tolerance: dict = field(default_factory=dict)
    source: str = ""
    sha256: str = ""
    deadline: datetime | None = None
    late: LatePolicy | None = None

    @property
    def total_points(self) -> float:
        return sum(p.points for p in self.problems)


def parse_time(text: str, where: str) -> datetime:
    """An ISO 8601 time with a zone (or ``YYYY-MM-DD HH:MM:SS ±HHMM``); a clear error
    naming ``where`` otherwise.

    >>> parse_time("2025-03-14T23:59:00Z", "x").isoformat()
    '2025-03-14T23:59:00+00:00'
    >>> parse_time("2025-03-14 23:59", "deadline")
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.UsageError: deadline: '2025-03-14 23:59' has no time zone: write it as ISO 8601 with a zone, e.g. 2025-03-14T23:59:00+01:00 or ...Z
    """
    value = text.strip()
    stamp = None
    try:
        stamp = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z"):
            try:
                stamp = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if stamp is None:
        raise UsageError(f"{where}: {text!r} is not a time: write it as ISO 8601 with a zone, "
                         "e.g. 2025-03-14T23:59:00+01:00")
    if stamp.tzinfo is None:
        raise UsageError(f"{where}: {text!r} has no time zone: write it as ISO 8601 with a zone, "
                         "e.g. 2025-03-14T23:59:00+01:00 or ...Z")
    return stamp


def load_assignment(path: str | os.PathLike) -> Assignment:
    """Read and check the assignment file at ``path``."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise UsageError(f"{source}: no such assignment file") from None
    except IsADirectoryError:
        raise UsageError(f"{source}: is a folder, not an assignment file") from None
    except OSError as error:
        raise UsageError(f"{source}: cannot read the assignment: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{source}: not UTF-8 text ({error.reason}); save it as UTF-8") from None
    return parse_assignment(text, source)


def parse_assignment(text: str, source: str = "<assignment>") -> Assignment:
    """Parse and check assignment TOML ``text``; ``source`` names it in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{source}: not valid TOML: {error}") from None
    reader = _Reader(text, source)
    reader.unknown_keys(data, TOP_KEYS, "the top level", reader.line_of_key)
    assignment_id = reader.safe_id(data, "id", reader.top_line("id"))
    title = reader.text(data, "title", reader.top_line("title"), required=True)
    instructions = reader.text(data, "instructions", reader.top_line("instructions"))
    due = reader.text(data, "due", reader.top_line("due"))
    default_tolerance = reader.tolerance(data.get("tolerance", {}), "[tolerance]",
                                         reader.table_line("tolerance"),
                                         line_of=reader.tolerance_key_line)
    deadline = reader.time(data, "deadline", reader.top_line("deadline"))
    late = reader.late(data.get("late"), deadline)
    problems_data = data.get("problems")
    if not isinstance(problems_data, list) or not problems_data:
        raise UsageError(f"{source}: no problems: add at least one [[problems]] table, e.g. "
                         '[[problems]] family = "derivative" points = 2')
    problems = tuple(reader.problem(number, entry, default_tolerance)
                     for number, entry in enumerate(problems_data, start=1))
    seen: dict[str, int] = {}
    for problem in problems:
        if problem.slot in seen:
            raise UsageError(f"{reader.where(reader.key_line(problem.number, 'id'))}problem "
                             f"{problem.number} ({problem.family}): id {problem.slot!r} is already "
                             f"used by problem {seen[problem.slot]}; give each problem its own id")
        seen[problem.slot] = problem.number
    return Assignment(id=assignment_id, title=title, problems=problems, instructions=instructions,
                      due=due, tolerance=default_tolerance, source=source,
                      sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                      deadline=deadline, late=late)


class _Reader:
    """Checks values of a parsed file, with messages that name the file and line."""

    def __init__(self, text: str, source: str):
        self.lines = text.splitlines()
        self.source = source

    # where things are -----------------------------------------------------------------------
    def where(self, line: int | None) -> str:
        return f"{self.source}: line {line}: " if line else f"{self.source}: "

    def _first_header(self) -> int:
        for i, line in enumerate(self.lines):
            if line.lstrip().startswith("["):
                return i
        return len(self.lines)

    def top_line(self, key: str) -> int | None:
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for i, line in enumerate(self.lines[:self._first_header()]):
            if pattern.match(line):
                return i + 1
        return None

    def line_of_key(self, key: str) -> int | None:
        return self.top_line(key) or self.table_line(key)

    def table_line(self, name: str) -> int | None:
        pattern = re.compile(rf"\s*\[\s*{re.escape(name)}\s*\]")
        for i, line in enumerate(self.lines):
            if pattern.match(line):
                return i + 1
        return self.top_line(name)

    def problem_line(self, number: int) -> int | None:
        pattern = re.compile(r"\s*\[\[\s*problems\s*\]\]")
        count = 0
        for i, line in enumerate(self.lines):
            if pattern.match(line):
                count += 1
                if count == number:
                    return i + 1
        return None

    def _problem_block(self, number: int) -> tuple[int, int] | None:
        """(first, end) 0-based line range of problem ``number``: its ``[[problems]]`` header
        up to the next one (its sub-tables included)."""
        header = self.problem_line(number)
        if header is None:
            return None
        end = self.problem_line(number + 1)
        return header - 1, (end - 1 if end else len(self.lines))

    def key_line(self, number: int, *path: str) -> int | None:
        """The line of problem ``number`` where the key ``path`` (e.g. ``("options", "mode")``)
        is written: as ``key = ...``, inside an inline table, or in a ``[problems.<path>]``
        sub-table; else the line of its nearest enclosing key; else the problem's header."""
        block = self._problem_block(number)
        if block is None:
            return None
        first, end = block
        for depth in range(len(path), 0, -1):
            found = self._find_key(first, end, path[:depth])
            if found is not None:
                return found
        return first + 1

    def _find_key(self, first: int, end: int, path: tuple[str, ...]) -> int | None:
        name = re.escape(path[-1])
        assignment = re.compile(rf"(?:^|[{{,.\s])[\"']?{name}[\"']?\s*=")
        header = re.compile(rf"\s*\[\s*problems\s*\.\s*{re.escape('.'.join(path))}\s*\]")
        parents = path[:-1]
        table = None  # the sub-table [problems.<parents>] we are in, if any
        for i in range(first, end):
            line = self.lines[i].split("#", 1)[0] if "#" in self.lines[i] else self.lines[i]
            stripped = line.strip()
            if header.match(line):
                return i + 1
            if stripped.startswith("["):
                inner = stripped.strip("[] ")
                table = inner[len("problems."):].split(".") if inner.startswith("problems.") else None
                continue
            if not assignment.search(line):
                continue
            if not parents:
                if table is None and re.match(rf"\s*[\"']?{name}[\"']?\s*=", line):
                    return i + 1
                continue
            in_table = table is not None and tuple(table) == parents
            dotted = re.match(rf"\s*{re.escape('.'.join(parents))}\s*\.\s*{name}\s*=", line)
            inline = table is None and re.match(rf"\s*{re.escape(parents[-1])}\s*=", line) \
                and len(parents) == 1
            if in_table or dotted or inline:
                return i + 1
        return None

    # values -----------------------------------------------------------------------------------
    def unknown_keys(self, table: Mapping, known: tuple[str, ...], what: str, line_of=None,
                     prefix: str = "") -> None:
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                line = line_of(key) if line_of else None
                raise UsageError(f"{prefix or self.where(line)}unknown key {key!r} in {what} "
                                 f"({hint}keys: {', '.join(known)})")

    def text(self, data: Mapping, key: str, line: int | None, *, required: bool = False,
             prefix: str = "") -> str:
        if key not in data:
            if required:
                raise UsageError(f"{prefix or self.where(None)}{key!r} is missing: add a line "
                                 f'{key} = "..."')
            return ""
        value = data[key]
        if not isinstance(value, str):
            raise UsageError(f'{prefix or self.where(line)}{key!r} must be text in quotes, e.g. '
                             f'{key} = "...", not {value!r}')
        if required and not value.strip():
            raise UsageError(f"{prefix or self.where(line)}{key!r} is empty")
        return value

    def time(self, data: Mapping, key: str, line: int | None, prefix: str = "") -> datetime | None:
        """An optional time with a zone: a TOML date-time (``2025-03-14T23:59:00+01:00``)
        or the same as text."""
        if key not in data:
            return None
        value = data[key]
        where = f"{prefix or self.where(line)}{key!r}".rstrip(": ")
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise UsageError(f"{where}: {value.isoformat()} has no time zone: write it as "
                                 "ISO 8601 with a zone, e.g. 2025-03-14T23:59:00+01:00 or ...Z")
            return value
        if not isinstance(value, str):
            raise UsageError(f"{where}: must be a time with a zone, e.g. {key} = "
                             f"2025-03-14T23:59:00+01:00, not {value!r}")
        return parse_time(value, where)

    def late(self, table: Any, deadline: datetime | None) -> LatePolicy | None:
        """The ``[late]`` table: ``penalty_per_day`` (a fraction in [0, 1]) and ``cutoff``."""
        if table is None:
            return None
        line = self.table_line("late")
        if not isinstance(table, dict):
            raise UsageError(f"{self.where(line)}'late' must be a table, e.g. [late] "
                             "penalty_per_day = 0.1")
        self.unknown_keys(table, LATE_KEYS, "[late]", lambda key: line)
        if deadline is None:
            raise UsageError(f"{self.where(line)}[late] needs a deadline: add a line like "
                             "deadline = 2025-03-14T23:59:00+01:00 at the top")
        penalty = table.get("penalty_per_day", 0.0)
        if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) \
                or not 0 <= penalty <= 1:
            raise UsageError(f"{self.where(line)}[late] penalty_per_day must be a fraction "
                             f"between 0 and 1 (0.1 takes 10% off per day), not {penalty!r}")
        cutoff = self.time(table, "cutoff", line, prefix=f"{self.where(line)}[late] ")
        if cutoff is not None and cutoff < deadline:
            raise UsageError(f"{self.where(line)}[late] cutoff {cutoff.isoformat()} is before the "
                             f"deadline {deadline.isoformat()}")
        return LatePolicy(float(penalty), cutoff)

    def safe_id(self, data: Mapping, key: str, line: int | None, prefix: str = "") -> str:
        if key not in data:
            raise UsageError(f'{prefix or self.where(None)}{key!r} is missing: add a line like '
                             f'{key} = "hw3" (letters, digits, ".", "_", "-")')
        value = data[key]
        if not isinstance(value, str) or not SAFE_ID.fullmatch(value):
            raise UsageError(f"{prefix or self.where(line)}{key!r} must be text of letters, digits, "
                             f"'.', '_' and '-' starting with a letter or digit (at most 64), "
                             f"not {value!r}")
        return value

    def tolerance_key_line(self, key: str) -> int | None:
        """The line of ``key`` in the top-level ``[tolerance]`` table (or its header's)."""
        header = self.table_line("tolerance")
        if header is None:
            return None
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=|\s*tolerance\s*=.*\b{re.escape(key)}\s*=")
        for i in range(header - 1, len(self.lines)):
            if i >= header and self.lines[i].lstrip().startswith("["):
                break
            if pattern.match(self.lines[i]):
                return i + 1
        return header

    def tolerance(self, table: Any, what: str, line: int | None, prefix: str = "",
                  line_of=None) -> dict:
        """``rtol``/``atol`` checked; ``line_of(key)`` names a key's own line when known."""
        def at(key: str) -> str:
            return self.where(line_of(key)) if line_of and not prefix else prefix or self.where(line)

        prefix_of_table = prefix or self.where(line)
        if not isinstance(table, dict):
            raise UsageError(f"{prefix_of_table}{what} must be a table like "
                             f"{{ rtol = 1e-3, atol = 1e-6 }}, not {table!r}")
        for key in table:
            if key not in TOLERANCE_KEYS:
                self.unknown_keys({key: None}, TOLERANCE_KEYS, what, prefix=at(key))
        out = {}
        for key in TOLERANCE_KEYS:
            if key in table:
                value = table[key]
                if not _tolerance_ok(value):
                    raise UsageError(f"{at(key)}{what}: {key} must be a number >= 0, not {value!r}")
                out[key] = float(value)
        return out

    # problems -----------------------------------------------------------------------------------
    def problem(self, number: int, entry: Any, default_tolerance: dict) -> Problem:
        from calcgrade.core.errors import UnknownFamilyError
        from calcgrade.problems import get_family

        line = self.problem_line(number)

        def at(*path: str, family: str = "") -> str:
            """The message prefix for a mistake in ``path`` of this problem: its line."""
            where = self.where(self.key_line(number, *path) if path else line)
            return f"{where}problem {number}" + (f" ({family}): " if family else ": ")

        if not isinstance(entry, dict):
            raise UsageError(f"{at()}must be a [[problems]] table, not {entry!r}")
        if "family" not in entry:
            raise UsageError(f'{at()}no family: add a line family = "..." (run '
                             "'calcgrade families' for the list)")
        name = entry["family"]
        if not isinstance(name, str):
            raise UsageError(f"{at('family')}family must be a name in quotes, not {name!r}")
        try:
            family = get_family(name)
        except UnknownFamilyError as error:
            raise UnknownFamilyError(f"{at('family')}{error}") from None
        for key in entry:
            if key not in PROBLEM_KEYS:
                self.unknown_keys({key: None}, PROBLEM_KEYS, "a problem", prefix=at(key, family=name))
        points = entry.get("points", 1)
        if isinstance(points, bool) or not isinstance(points, (int, float)) \
                or not math.isfinite(points) or points < 0:
            raise UsageError(f"{at('points', family=name)}points must be a number >= 0, not {points!r}")
        slot = self.safe_id(entry, "id", None, at("id", family=name)) if "id" in entry else str(number)
        title = self.text(entry, "title", None, prefix=at("title", family=name))
        options = entry.get("options", {})
        if not isinstance(options, dict):
            raise UsageError(f"{at('options', family=name)}options must be a table like "
                             f"options = {{ steps = 2 }}, not {options!r}")
        params = entry.get("params")
        if params is not None and options:
            raise UsageError(f"{at('params', family=name)}give either params (one fixed variant "
                             "for everyone) or options (how variants are sampled), not both")
        self.check_options(family, options, lambda *path: at("options", *path, family=name))
        if params is not None:
            params = self.check_params(family, params, lambda *path: at("params", *path, family=name))
        tolerances = self.answer_tolerances(entry.get("tolerance", {}), family, params,
                                            lambda *path: at("tolerance", *path, family=name))
        return Problem(number=number, slot=slot, family=name, points=points, title=title,
                       options=dict(options), params=params, tolerances=tolerances,
                       default_tolerance=dict(default_tolerance))

    def check_options(self, family, options: dict, at) -> None:
        """The family's check of the options; a mistake names the line of the first option
        that fails on its own (else the line of ``options``)."""
        name = family.name
        try:
            family.resolve_options(options)
        except UsageError as error:
            where = at()
            for key, value in options.items():
                try:
                    family.resolve_options({key: value})
                except UsageError:
                    where = at(key)
                    break
            raise type(error)(where + _without_family(str(error), name)) from None

    def check_params(self, family, params: Any, at):
        """Unknown and missing params all at once (each unknown one on its own line), then the
        family's own checks."""
        name = family.name
        if isinstance(params, dict):
            unknown = [key for key in params if key not in {p.name for p in family.params}]
            try:
                check_param_names(family, params)
            except UsageError as error:
                where = at(unknown[0]) if unknown else at()
                raise type(error)(where + _without_family(str(error), name)) from None
        try:
            return family.validate(params)
        except UsageError as error:
            message = _without_family(str(error), name)
            named = [key for key in (params if isinstance(params, dict) else ())
                     if f"'{key}'" in message]
            raise type(error)((at(named[0]) if len(named) == 1 else at()) + message) from None

    def answer_tolerances(self, table: Any, family, params, at) -> dict:
        if not isinstance(table, dict):
            raise UsageError(f"{at()}tolerance must be a table of answers, e.g. "
                             "[problems.tolerance.value] rtol = 1e-2")
        names = family.answer_names(params) if params is not None else list(family.answers)
        out = {}
        for answer, values in table.items():
            if answer not in names:
                raise UsageError(f"{at(answer)}tolerance for unknown answer {answer!r} "
                                 f"(answers: {', '.join(names)})")
            kind = family.answers[answer].kind
            if kind in ("label", "function"):
                raise UsageError(f"{at(answer)}answer {answer!r} is a {kind}: tolerances apply only "
                                 "to numbers, vectors, matrices, iterates and expressions")
            if isinstance(values, dict):
                for key in values:
                    if key not in TOLERANCE_KEYS or not _tolerance_ok(values[key]):
                        self.tolerance({key: values[key]}, f"tolerance.{answer}", None, at(answer, key))
            out[answer] = self.tolerance(values, f"tolerance.{answer}", None, at(answer))
        return out


def _tolerance_ok(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) \
        and math.isfinite(value) and value >= 0


def check_param_names(family, params: Mapping[str, Any]) -> None:
    """Raise one :class:`ParamsError` that names every unknown and every missing required
    param of ``params`` (the family's own checks come after, in ``family.validate``).

    >>> from calcgrade.problems import get_family
    >>> check_param_names(get_family("newton"), {"f": "x^2", "step": 2})
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: newton: unknown param 'step' (params: f, vars, x0, steps, goal); params 'vars', 'x0', 'steps' and 'goal' are missing
    """
    from calcgrade.core.errors import ParamsError

    known = [p.name for p in family.params]
    unknown = [key for key in params if key not in known]
    missing = [p.name for p in family.params if p.required and p.name not in params]
    problems = []
    if unknown:
        names = _names(unknown)
        problems.append(f"unknown param{'s' if len(unknown) > 1 else ''} {names} "
                        f"(params: {', '.join(known)})")
    if missing:
        problems.append(f"param {_names(missing)} is missing" if len(missing) == 1 else
                        f"params {_names(missing)} are missing")
    if problems:
        raise ParamsError(f"{family.name}: " + "; ".join(problems))


def _names(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _without_family(message: str, name: str) -> str:
    """Drop the family's own ``"<name>: "`` prefix (the caller names it already)."""
    return message[len(name) + 2:] if message.startswith(f"{name}: ") else message
