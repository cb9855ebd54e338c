"""Answer kinds: how an answer is declared, read, checked, scored and diagnosed (DESIGN §5).

>>> AnswerSpec("vector", "the gradient").to_json()["kind"]
'vector'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from calcgrade.core import equivalence, expr as ex, functions, reading
from calcgrade.core.errors import ExpressionError
from calcgrade.core.parse import parse_expression
from calcgrade.core.reading import Reading

ANSWER_KINDS = ("scalar", "vector", "matrix", "expression", "label", "labels", "iterates", "function")


@dataclass(frozen=True)
class AnswerSpec:
    """How one answer is compared: its kind, tolerance and, for labels, the accepted set.

    Scalars (and each entry of vectors, matrices and iterates) match when
    ``|s - r| <= atol + rtol * |r|``. ``unordered`` says the order of a vector's or a
    labels list's entries carries no meaning (eigenvalues, a set of critical points; the
    rows of an unordered matrix are points, each matched whole);
    ``pairs_with`` names another answer whose entries pair with this one's (points and
    their labels), so that the two are matched as pairs whatever their order.
    """

    kind: str
    description: str
    rtol: float = 1e-3
    atol: float = 1e-6
    labels: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    variables: tuple[str, ...] = ()
    unordered: bool = False
    pairs_with: str = ""

    def __post_init__(self):
        if self.kind not in ANSWER_KINDS:
            raise ValueError(f"unknown answer kind {self.kind!r}")

    def with_variables(self, variables) -> "AnswerSpec":
        """The same spec for an expression in ``variables``."""
        return replace(self, variables=tuple(variables))

    def to_json(self) -> dict:
        out = {"kind": self.kind, "description": self.description, "rtol": self.rtol,
               "atol": self.atol}
        if self.labels:
            out["labels"] = list(self.labels)
        if self.unordered:
            out["unordered"] = True
        if self.pairs_with:
            out["pairs_with"] = self.pairs_with
        if self.kind == "function":
            out["signature"] = list(self.variables)
        return out


@dataclass(frozen=True)
class CarriedSteps:
    """What each step of an iterates answer should be, starting from the student's points.

    ``expected[k]`` is the reference step applied to the student's point k−1 (the given
    start for k = 0), or None where it cannot be computed; ``stationary[k]`` says that
    point was already stationary (its gradient zero within tolerance) and the student did
    not reach it by a correct step, so step k earns no carried-forward credit.
    """

    expected: list
    stationary: list[bool]


# --- outcomes -----------------------------------------------------------------------------

CORRECT, PARTIAL, WRONG, FORMAT_ERROR, MISSING, REVIEW = (
    "correct", "partial", "wrong", "format_error", "missing", "review")


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing one answer: fraction of credit in [0, 1] and why.

    ``detail`` says what went wrong, ``note`` what was read leniently (never a reason to
    lose credit), ``first_wrong`` the index of the first wrong entry or step.
    """

    fraction: float
    status: str
    detail: str = ""
    first_wrong: int | None = None
    note: str = ""


def _status(fraction: float) -> str:
    if fraction >= 1.0:
        return CORRECT
    return PARTIAL if fraction > 0 else WRONG


def _credit(flags: list[bool]) -> float:
    """The share of entries that are right; an empty answer is right when expected empty."""
    return sum(flags) / len(flags) if flags else 1.0


def _first_false(flags: list[bool]) -> int | None:
    return None if all(flags) else flags.index(False)


# --- reading ------------------------------------------------------------------------------


def shape_of(kind: str, reference: Any) -> list[int]:
    """The expected shape of an answer, from its reference value (not secret: the
    statement says how many entries, steps and variables there are).

    >>> shape_of("iterates", [[1.0], [2.0]]), shape_of("scalar", 2.0)
    ([2, 1], [])
    """
    if kind in ("vector", "labels"):
        return [len(reference)]
    if kind in ("matrix", "iterates"):
        return [len(reference), len(reference[0]) if reference else 0]
    return []


def answer_info(spec: AnswerSpec, reference: Any, name: str = "answer",
                start: Sequence[float] | None = None, notebook: bool = False) -> dict:
    """What a reader knows of an answer: kind, shape, labels, variables, start point and
    tolerance — never its value. The notebook's self-check gets the same dict (with the
    synonyms as a list of words), so both read alike.

    >>> answer_info(AnswerSpec("vector", "g"), [1.0, 2.0], "q1_g")["shape"]
    [2]
    """
    info: dict[str, Any] = {"name": name, "kind": spec.kind}
    shape = shape_of(spec.kind, reference)
    if shape:
        info["shape"] = shape
    if spec.kind in ("label", "labels"):
        info["labels"] = list(spec.labels)
        if spec.synonyms:
            info["synonyms"] = sorted(spec.synonyms) if notebook else dict(spec.synonyms)
    if spec.kind == "expression":
        info["variables"] = list(spec.variables)
    if spec.kind == "function":
        info["signature"] = list(spec.variables)
        if isinstance(reference, list) and reference and isinstance(reference[0], dict):
            info["try"] = list(reference[0].get("args", []))
    if spec.kind == "iterates":
        if start is not None:
            info["start"] = [float(v) for v in start]
        info["rtol"], info["atol"] = spec.rtol, spec.atol
    return info


def read(spec: AnswerSpec, info: dict, value: Any) -> tuple[Reading | None, Verdict | None]:
    """The student's value read as ``info`` asks, or the verdict that ends scoring
    (missing, or a format error whose message says how to write the answer)."""
    try:
        return reading.read_answer(info, value), None
    except reading.NoAnswer as why:
        what = {"unanswered": "the variable is still ...", "missing": "the variable is not defined",
                "empty": "the text is empty"}.get(str(why), "")
        return None, Verdict(0.0, MISSING, f"no answer was given ({what})" if what else
                             "no answer was given")
    except reading.Unreadable as problem:
        return None, Verdict(0.0, FORMAT_ERROR, str(problem))


# --- comparing ------------------------------------------------------------------------------


def close(value: float, reference: float, spec: AnswerSpec) -> bool:
    """``|s - r| <= atol + rtol |r|`` for finite numbers."""
    return (reading.is_number(value) and reading.is_number(reference)
            and abs(value - reference) <= spec.atol + spec.rtol * abs(reference))


def _flatten(value: Any) -> list:
    if isinstance(value, list):
        return [item for part in value for item in _flatten(part)]
    return [value]


def points_close(a: Sequence, b: Sequence, spec: AnswerSpec) -> bool:
    a, b = _flatten(a), _flatten(b)
    return len(a) == len(b) and all(close(x, y, spec) for x, y in zip(a, b))


def match_unordered(values: Sequence, references: Sequence, same: Callable[[Any, Any], bool]
                    ) -> list[int | None]:
    """A maximum matching of ``values`` to ``references`` (each used once): for each value
    the index of its reference, or None.

    >>> match_unordered([3.0, 1.0, 9.0], [1.0, 2.0, 3.0], lambda a, b: a == b)
    [2, 0, None]
    """
    owner: dict[int, int] = {}
    options = [[j for j, r in enumerate(references) if same(v, r)] for v in values]

    def augment(i: int, seen: set[int]) -> bool:
        for j in options[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(values)):
        augment(i, set())
    pairing: list[int | None] = [None] * len(values)
    for j, i in owner.items():
        pairing[i] = j
    return pairing


ORDER_NOTE = "the order of the entries does not matter here"


def _score_entries(spec: AnswerSpec, values: list, reference: list,
                   same: Callable[[Any, Any], bool], pairing: list | None = None) -> Verdict:
    """Credit per entry, positionally or (``unordered`` / a pairing) as a matching.

    The labels of a pair are never matched among themselves (swapped labels would pass):
    they follow the pairing found on the numbers' side, or their positions."""
    if pairing is None and spec.unordered and not (spec.pairs_with and spec.kind == "labels"):
        pairing = match_unordered(values, reference, same)
    if pairing is not None:
        flags = [j is not None and same(v, reference[j]) for v, j in zip(values, pairing)]
        in_order = all(j == i for i, j in enumerate(pairing))
        fraction = _credit(flags)
        note = ORDER_NOTE if fraction > 0 and not in_order else ""
        return Verdict(fraction, _status(fraction), first_wrong=_first_false(flags), note=note)
    flags = [same(v, r) for v, r in zip(values, reference)]
    fraction = _credit(flags)
    return Verdict(fraction, _status(fraction), first_wrong=_first_false(flags))


def _score_iterates(spec: AnswerSpec, points: list, reference: list, carried) -> Verdict:
    credited, first = 0, None
    for k, (point, truth) in enumerate(zip(points, reference)):
        ok = points_close(point, truth, spec)
        if not ok and carried is not None and k < len(carried.expected) and \
                carried.expected[k] is not None and not carried.stationary[k]:
            ok = points_close(point, carried.expected[k], spec)
        credited += ok
        if not ok and first is None:
            first = k
    fraction = credited / len(reference) if reference else 1.0
    detail = "" if first is None else f"step {first + 1} is the first wrong step"
    return Verdict(fraction, _status(fraction), detail, first)


def _score_function(spec: AnswerSpec, outputs: Any, reference: list) -> Verdict:
    """``outputs``: what the student's function returned for each test case of
    ``reference`` (:mod:`calcgrade.core.functions`); credit per input class."""
    if not isinstance(outputs, list) or len(outputs) != len(reference):
        return Verdict(0.0, FORMAT_ERROR, "the function could not be called on the test inputs")
    outcome = functions.score_cases(spec.variables, reference, outputs, spec.rtol, spec.atol)
    if outcome.not_implemented:
        return Verdict(0.0, MISSING, outcome.detail)
    return Verdict(outcome.fraction, _status(outcome.fraction), outcome.detail, outcome.first_wrong)


# --- expressions ------------------------------------------------------------------------------


def expression_tree(text: Any, variables: Sequence[str]):
    """A parsed expression (text in the parser's notation, or already a tree)."""
    if isinstance(text, ex.Expr):
        return text
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        text = repr(text)
    return parse_expression(text, tuple(variables))


def expressions_equivalent(value: Any, reference: Any, variables: Sequence[str],
                           rtol: float = 1e-3, atol: float = 1e-6,
                           symbolic: bool = False) -> bool | None:
    """True, False, or None when it cannot be decided; text that does not parse is False.

    By sampling alone unless ``symbolic`` (then sympy, in a bounded helper process,
    confirms what sampling cannot decide): families call this while sampling, where a
    process start would be too dear.

    >>> expressions_equivalent("x*e^x + e^x", "(x + 1)*exp(x)", ["x"])
    True
    """
    try:
        student = expression_tree(value, variables)
    except ExpressionError:
        return False
    truth = expression_tree(reference, variables)
    compare = equivalence.expressions_equivalent if symbolic else equivalence.compare_by_sampling
    return compare(student, truth, tuple(variables), rtol, atol)


def function_inputs(spec: AnswerSpec, reference: Any) -> list[dict]:
    """The inputs at which the sandbox calls an answer written as a function: a function
    answer's test cases, or sample points of an expression answer written as a def."""
    if spec.kind == "function":
        return functions.case_inputs(reference)
    tree = expression_tree(reference, spec.variables)
    return [{"args": [point[name] for name in spec.variables]}
            for point in equivalence.sample_points(tree, tuple(spec.variables))]


@dataclass(frozen=True)
class Calls:
    """An answer written as a function, called in the sandbox: the inputs the grader
    chose (:func:`function_inputs` of the right answer) and what came back for each."""

    inputs: list
    outputs: list


def _expression_same(spec: AnswerSpec, answer: Reading, reference: Any, calls: Any) -> bool | None:
    truth = expression_tree(reference, spec.variables)
    if answer.form == "function":
        if not isinstance(calls, Calls) or not isinstance(calls.outputs, list) \
                or len(calls.outputs) != len(calls.inputs):
            return False
        points = [dict(zip(spec.variables, case["args"])) for case in calls.inputs]
        return equivalence.values_equivalent(calls.outputs, truth, points, spec.rtol, spec.atol)
    student = expression_tree(answer.value, spec.variables)
    return equivalence.expressions_equivalent(student, truth, tuple(spec.variables),
                                              spec.rtol, spec.atol)


# --- one answer: score and diagnosis --------------------------------------------------------------


def score(spec: AnswerSpec, answer: Reading, reference: Any, *, carried=None,
          pairing: list | None = None, calls: Any = None) -> Verdict:
    """Judge a read answer against the reference: credit per entry for vectors and
    matrices, per step for iterates (with ``carried`` expectations: error carried
    forward), a matching where the order carries no meaning (or ``pairing`` from the
    answer this one pairs with), review where an expression cannot be decided."""
    kind, value = spec.kind, answer.value
    if kind == "scalar":
        ok = close(value, reference, spec)
        verdict = Verdict(1.0 if ok else 0.0, CORRECT if ok else WRONG)
    elif kind == "matrix" and spec.unordered:  # a set of points: each row is one entry
        verdict = _score_entries(spec, value, reference, lambda a, b: points_close(a, b, spec), pairing)
    elif kind in ("vector", "matrix"):
        verdict = _score_entries(spec, _flatten(value) if kind == "matrix" else value,
                                 _flatten(reference) if kind == "matrix" else reference,
                                 lambda a, b: close(a, b, spec), pairing)
    elif kind == "iterates":
        verdict = _score_iterates(spec, value, reference, carried)
    elif kind == "label":
        ok = value == reference
        verdict = Verdict(1.0 if ok else 0.0, CORRECT if ok else WRONG)
    elif kind == "labels":
        verdict = _score_entries(spec, value, reference, lambda a, b: a == b, pairing)
    elif kind == "expression":
        same = _expression_same(spec, answer, reference, calls)
        if same is None:
            return Verdict(0.0, REVIEW, "could not be decided automatically; marked for review",
                           note=answer.note)
        verdict = Verdict(1.0 if same else 0.0, CORRECT if same else WRONG)
    elif kind == "function":
        verdict = _score_function(spec, calls.outputs if isinstance(calls, Calls) else calls,
                                  reference)
    else:
        raise ValueError(f"cannot score answers of kind {kind!r}")
    notes = "; ".join(n for n in (answer.note, verdict.note) if n)
    return replace(verdict, note=notes) if notes != verdict.note else verdict


def matches(spec: AnswerSpec, answer: Reading, value: Any, calls: Any = None,
            reference: Any = None) -> bool:
    """Whether a read answer is (entirely) ``value`` — a reference or a buggy solver's
    (a list of another length, such as a mistake that leaves a point out, never is).
    A function answer is a buggy solver's (``value``) when every test it returned a
    value for agrees with it, on one at least where it differs from ``reference``."""
    if spec.kind == "function" and reference is not None:
        outputs = calls.outputs if isinstance(calls, Calls) else calls
        return functions.looks_like(outputs, value, reference, spec.rtol, spec.atol)
    if isinstance(answer.value, list) and isinstance(value, list) and len(answer.value) != len(value):
        return False
    verdict = score(spec, answer, value, calls=calls)
    return verdict.status == CORRECT


def answer_matches(spec: AnswerSpec, value: Any, reference: Any) -> bool:
    """Whether plain ``value`` is right for ``reference`` (undecided counts as no).

    >>> answer_matches(AnswerSpec("scalar", "a value"), 0.14475, 0.144744)
    True
    """
    if spec.kind == "function":  # a buggy solver's test cases against the reference's
        return functions.same_outputs(value, reference, spec.rtol, spec.atol)
    answer, verdict = read(spec, answer_info(spec, reference), value)
    return verdict is None and matches(spec, answer, reference)


def score_value(spec: AnswerSpec, value: Any, reference: Any, carried=None,
                start: Sequence[float] | None = None, calls: Any = None) -> Verdict:
    """Read plain ``value`` and score it: the whole path for one answer.

    >>> score_value(AnswerSpec("vector", "g"), [1.0, 5.0], [1.0, 2.0]).fraction
    0.5
    >>> score_value(AnswerSpec("vector", "g", unordered=True), [2.0, 1.0], [1.0, 2.0]).note
    'the order of the entries does not matter here'
    >>> score_value(AnswerSpec("matrix", "points", unordered=True), [[2, 1], [1, 2]], [[1, 1], [2, 1]]).fraction
    0.5
    """
    answer, verdict = read(spec, answer_info(spec, reference, start=start), value)
    if verdict is not None:
        return verdict
    return score(spec, answer, reference, carried=carried, calls=calls)
