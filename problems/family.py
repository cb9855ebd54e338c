"""The family contract: what every problem family declares and the machinery they share.

A family subclasses :class:`Family` and supplies three plain functions — ``draw`` (one
candidate from a ``numpy.random.Generator``), ``check`` (the family's own constraints on
explicit params) and ``solve`` (call the reference solver) — plus declarations: its params,
each with a kind (:mod:`calcgrade.problems.checks`: ``Number(positive=True)``,
``Vector(length="x")``, ...) that :meth:`Family.validate` reads before ``check``; its
``forms`` when params can be given in several ways (:class:`Form`); its options; its
answers; and its ``catalog`` of mistakes (buggy solvers with messages, named within the
family: ``Mistake("gradient_step", ...)`` in ``newton`` is ``newton.gradient_step``;
:func:`relabelled` and :func:`negated` write the common ones). The base class turns those
into bounded, deterministic rejection sampling whose constraints include "every
catalogued mistake is distinguishable from the right answer". A family whose iterates
follow a step rule gives :meth:`Family.step_rule` and gets error carried forward;
:func:`remembered` keeps a costly ``solve`` from running twice for one variant;
:mod:`calcgrade.problems.statements` writes numbers and data into statements.

>>> import numpy as np
>>> from calcgrade.problems import get_family
>>> family = get_family("sigmoid_gradient")
>>> params = family.sample(np.random.default_rng(7), mode="z")
>>> sorted(family.solve(params))
['sigmoid', 'sigmoid_prime']
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import numpy as np

from calcgrade.core.answers import AnswerSpec, CarriedSteps
from calcgrade.core.errors import OptionsError, ParamsError, SamplingError
from calcgrade.problems.checks import Kind

Params = dict[str, Any]
Answers = dict[str, Any]


class Reject(Exception):
    """Raised by ``draw`` when a candidate breaks a constraint; the text names it."""


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a family: its kind and what it means.

    The :class:`~calcgrade.problems.checks.Kind` (``Number(positive=True)``,
    ``Vector(length="x")``, ...) is how :meth:`Family.validate` reads and checks the value
    before the family's ``check``, and how ``calcgrade families`` shows its type.

    >>> from calcgrade.problems.checks import Number
    >>> ParamSpec("lr", Number(positive=True), "the learning rate").to_json()["type"]
    'positive number'
    """

    name: str
    type: Kind
    description: str
    required: bool = True

    def __post_init__(self):
        if not isinstance(self.type, Kind):
            raise TypeError(f"param {self.name!r}: the type must be a Kind, not {self.type!r}")

    def read(self, family: str, params: Mapping[str, Any]) -> Any:
        """The param's value read by its kind."""
        return self.type.read(family, params, self.name)

    def to_json(self) -> dict:
        return {"name": self.name, "type": self.type.text, "required": self.required,
                "description": self.description}


def linear_model_params(max_examples: int, max_features: int, *, targets: str,
                        starting: bool = True) -> tuple[ParamSpec, ...]:
    """The data and starting point of a linear model: ``X`` (m × n, one row per example),
    ``y`` (one target per example), ``w`` (one weight per feature) and ``b``.

    >>> [p.name for p in linear_model_params(6, 3, targets="the targets, one per example")]
    ['X', 'y', 'w', 'b']
    """
    from calcgrade.problems.checks import Matrix, Number, Vector

    start = "starting " if starting else ""
    return (
        ParamSpec("X", Matrix(rows=(2, max_examples), columns=(1, max_features)),
                  "the features, one row per example (m × n)"),
        ParamSpec("y", Vector(length="X"), targets),
        ParamSpec("w", Vector(length=lambda params: len(params["X"][0])),
                  f"the {start}weights, one per feature"),
        ParamSpec("b", Number(), f"the {start}bias"),
    )


@dataclass(frozen=True)
class OptionSpec:
    """A sampling option: a default and either a fixed set of choices or a type check."""

    name: str
    default: Any
    description: str
    choices: tuple = ()
    kind: type | tuple = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, family: str, value: Any) -> Any:
        """Check ``value`` and return it; raise :class:`OptionsError` with a fix."""
        if self.choices:
            if value not in self.choices or (isinstance(value, bool) and not any(
                    isinstance(c, bool) for c in self.choices)):
                allowed = ", ".join(str(c) for c in self.choices)
                raise OptionsError(f"{family}: option {self.name}={value!r} is not one of: {allowed}")
            return value
        expected = self.kind or type(self.default)
        if isinstance(value, bool) and expected is not bool:
            raise OptionsError(f"{family}: option {self.name} must be {_type_name(expected)}, not {value!r}")
        if expected is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, expected):
            raise OptionsError(f"{family}: option {self.name} must be {_type_name(expected)}, not {value!r}")
        if self.minimum is not None and value < self.minimum or \
                self.maximum is not None and value > self.maximum:
            raise OptionsError(f"{family}: option {self.name}={value!r} must lie in "
                               f"[{self.minimum}, {self.maximum}]")
        return value

    def to_json(self) -> dict:
        out = {"name": self.name, "default": self.default, "description": self.description}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


def _type_name(kind) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "text",
             list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)


@dataclass(frozen=True)
class Mistake:
    """A named common mistake: a buggy solver over the same params and what to tell the student.

    ``solve`` returns the answers the mistake produces (only the parts it changes), or
    ``None`` when the mistake does not arise for these params. A family's ``catalog`` names
    each mistake within the family; :meth:`Family.mistakes` gives the full id.

    >>> Mistake("gradient_step", "divide by f''", lambda params: None).within("newton").id
    'newton.gradient_step'
    """

    id: str
    message: str
    solve: Callable[[Params], Answers | None]

    def within(self, family: str) -> "Mistake":
        """This mistake with its id prefixed by ``family`` (unless it already is)."""
        if self.id.startswith(family + "."):
            return self
        return replace(self, id=f"{family}.{self.id}")


@dataclass(frozen=True)
class Form:
    """One way of giving the params of a family that has several: the params it takes (the
    first one names the form when given), those of them that may be left out, and the
    answers asked for (all of the family's when None).

    >>> Form("terms", ("terms", "smooth"), optional=("smooth",)).text()
    "'terms' with an optional 'smooth'"
    """

    name: str
    params: tuple[str, ...]
    optional: tuple[str, ...] = ()
    answers: tuple[str, ...] | None = None

    def text(self) -> str:
        required = _listed([p for p in self.params if p not in self.optional])
        return required + (f" with an optional {_listed(self.optional)}" if self.optional else "")


def _listed(names) -> str:
    """``'a', 'b' and 'c'``."""
    quoted = [repr(name) for name in names]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1] if len(quoted) > 1 else quoted[0]


class Family:
    """Base class of problem families; see the module docstring for the contract."""

    name: str = ""
    version: int = 1
    topic: str = ""
    skills: tuple[str, ...] = ()
    summary: str = ""
    params: tuple[ParamSpec, ...] = ()
    options: tuple[OptionSpec, ...] = ()
    answers: dict[str, AnswerSpec] = {}
    catalog: tuple[Mistake, ...] = ()
    forms: tuple[Form, ...] = ()
    code_answers: dict[str, AnswerSpec] = {}  # asked instead with answer = "code"
    student_code: dict[str, str] = {}  # a right implementation of each, "def {name}(...)"
    max_attempts: int = 500

    # to be supplied by each family ------------------------------------------------------
    def draw(self, rng: np.random.Generator, **options) -> Params:
        """One candidate params dict; raise :class:`Reject` to try again."""
        raise NotImplementedError

    def check(self, params: Params) -> Params:
        """The family's own constraints on params already read by their kinds (see
        :class:`ParamSpec`); return them normalised or raise ParamsError. By default the
        kinds say it all."""
        return params

    def solve(self, params: Params) -> Answers:
        """The reference answers for validated params."""
        raise NotImplementedError

    def context(self, params: Params) -> dict:
        """Extra values (LaTeX strings, flags) for the statement template."""
        return {}

    def answer_names(self, params: Params) -> list[str]:
        """The answers asked for with these params: the function answers when they ask
        for code, else those of their :class:`Form`, if it names them, else every answer."""
        if self.code_answers and params.get("answer") == "code":
            return list(self.code_answers)
        form = self.form_of(params)
        return list(form.answers if form is not None and form.answers is not None else self.answers)

    def form_of(self, params: Mapping[str, Any]) -> Form | None:
        """The :class:`Form` whose first param is given (None without forms)."""
        return next((form for form in self.forms if form.params[0] in params), None)

    def student_source(self, name: str, params: Params, function: str) -> str:
        """A right implementation of function answer ``name`` written as a student would,
        defining ``function`` (:attr:`student_code` with ``{name}`` filled in)."""
        return self.student_code[name].replace("{name}", function)

    def step_rule(self, params: Params) -> tuple[Callable[[list], Any], Callable[[list], Any]] | None:
        """For a family whose iterates follow θ ← step(θ): ``(step, gradient)``, the gradient
        being what vanishes at a stationary point; None when the family does not carry
        forward. :meth:`carry_forward` uses it."""
        return None

    def carry_forward(self, params: Params, name: str, answers: Mapping[str, Any],
                      spec: "AnswerSpec") -> "CarriedSteps | None":
        """For an iterates answer: each step's expectation from the student's own previous
        point (error carried forward, :func:`carry_steps` with :meth:`step_rule` from
        :meth:`iterates_start`), or None when the family does not carry forward."""
        rule, start = self.step_rule(params), self.iterates_start(params, name)
        if rule is None or start is None:
            return None
        step, gradient = rule
        return carry_steps(start, answers.get(name), step, spec, gradient=gradient)

    def iterates_start(self, params: Params, name: str) -> list[float] | None:
        """The given start point of an iterates answer (a student may list it first):
        ``x0``, or ``[*w, b]`` for the regression families; None when there is none."""
        if self.answers.get(name) is None or self.answers[name].kind != "iterates":
            return None
        if "x0" in params:
            start = params["x0"]
            return [float(v) for v in (start if isinstance(start, list) else [start])]
        if "w" in params and "b" in params and isinstance(params["w"], list):
            return [*(float(v) for v in params["w"]), float(params["b"])]
        return None

    # shared machinery -----------------------------------------------------------------------
    def mistakes(self) -> tuple[Mistake, ...]:
        """The catalog of common mistakes, each id prefixed by the family's name."""
        return tuple(mistake.within(self.name) for mistake in self.catalog)

    @property
    def template(self) -> str:
        return f"statements/{self.name}.md.j2"

    def resolve_options(self, options: Mapping[str, Any]) -> dict:
        """Defaults filled in and every value checked."""
        known = {o.name: o for o in self.options}
        unknown = sorted(set(options) - set(known))
        if unknown:
            allowed = ", ".join(known) or "none"
            raise OptionsError(f"{self.name}: unknown option {unknown[0]!r} (options: {allowed})")
        return {name: spec.coerce(self.name, options.get(name, spec.default))
                for name, spec in known.items()}

    def sample(self, rng: np.random.Generator, **options) -> Params:
        """Draw params that satisfy every constraint, or fail naming the options.

        Deterministic for a given generator state: rejection draws from ``rng`` only, and
        gives up after ``max_attempts`` candidates.
        """
        resolved = self.resolve_options(options)
        reasons: Counter[str] = Counter()
        for _ in range(self.max_attempts):
            try:
                params = self.validate(self.draw(rng, **resolved))
                self.require_distinguishable(params)
                return params
            except Reject as reason:
                reasons[str(reason)] += 1
            except ParamsError as reason:
                reasons[str(reason)] += 1
        chosen = ", ".join(f"{k}={v}" for k, v in resolved.items()) or "the defaults"
        common = reasons.most_common(1)[0][0] if reasons else "no candidate"
        raise SamplingError(f"{self.name}: no variant satisfies the constraints with {chosen} "
                            f"after {self.max_attempts} attempts (most often: {common})")

    def validate(self, params: Mapping[str, Any]) -> Params:
        """Explicit params checked for presence, unknown names and the family's own rules."""
        if not isinstance(params, Mapping):
            raise ParamsError(f"{self.name}: params must be a JSON object, not {type(params).__name__}")
        known = [p.name for p in self.params]
        unknown = sorted(set(params) - set(known))
        if unknown:
            raise ParamsError(f"{self.name}: unknown param {unknown[0]!r} (params: {', '.join(known)})")
        missing = [p.name for p in self.params if p.required and p.name not in params]
        if missing:
            raise ParamsError(f"{self.name}: param {missing[0]!r} is missing")
        self._check_form(params)
        read = {p.name: params[p.name] for p in self.params if p.name in params}
        for spec in _reading_order(self.params):
            if spec.name in read:
                read[spec.name] = spec.read(self.name, read)
        return self.check(read)

    def _check_form(self, params: Mapping[str, Any]) -> None:
        """With :attr:`forms`: exactly one form given, whole, and nothing of another."""
        if not self.forms:
            return
        chosen = [form for form in self.forms if form.params[0] in params]
        if len(chosen) != 1:
            raise ParamsError(f"{self.name}: give exactly one of: "
                              + "; ".join(form.text() for form in self.forms))
        form = chosen[0]
        for other in self.forms:
            stray = [name for name in other.params if name in params and name not in form.params]
            if stray:
                raise ParamsError(f"{self.name}: param {stray[0]!r} goes with {other.params[0]!r}, "
                                  f"not with {form.params[0]!r}")
        missing = [name for name in form.params if name not in form.optional and name not in params]
        if missing:
            raise ParamsError(f"{self.name}: param {missing[0]!r} is missing (with {form.params[0]!r})")

    def answer_specs(self, params: Params) -> dict[str, AnswerSpec]:
        """The specs of the answers asked for with these params (the function answers of
        :attr:`code_answers` when they ask for code)."""
        table = self.code_answers if self.code_answers and params.get("answer") == "code" \
            else self.answers
        return {name: table[name] for name in self.answer_names(params)}

    def diagnose(self, params: Params) -> dict[str, Answers]:
        """Every mistake that arises for ``params`` -> the answers it produces."""
        out = {}
        for mistake in self.mistakes():
            buggy = mistake.solve(params)
            if buggy is not None:
                out[mistake.id] = buggy
        return out

    def require_distinguishable(self, params: Params) -> None:
        """Reject params for which some catalogued mistake looks right within tolerance."""
        from calcgrade.core.answers import answer_matches

        reference = self.solve(params)
        specs = self.answer_specs(params)
        for mistake_id, buggy in self.diagnose(params).items():
            if all(answer_matches(specs[name], value, reference[name])
                   for name, value in buggy.items()):
                raise Reject(f"mistake {mistake_id} is indistinguishable from the answer")

    def statement(self, params: Params) -> str:
        """The problem statement as Markdown with LaTeX."""
        from calcgrade.templates import environment

        template = environment().get_template(self.template)
        return template.render(params=params, **self.context(params)).strip() + "\n"

    def describe(self) -> dict:
        """Everything ``calcgrade families --json`` shows of this family."""
        return {
            "name": self.name,
            "version": self.version,
            "topic": self.topic,
            "skills": list(self.skills),
            "summary": self.summary,
            "params": [p.to_json() for p in self.params],
            "options": [o.to_json() for o in self.options],
            "answers": {name: spec.to_json() for name, spec in self.answers.items()},
            **({"code_answers": {name: spec.to_json() for name, spec in self.code_answers.items()}}
               if self.code_answers else {}),
            "mistakes": {m.id: m.message for m in self.mistakes()},
        }


def _reading_order(specs: tuple[ParamSpec, ...]) -> list[ParamSpec]:
    """The declared order, except that a param is read after those its kind refers to."""
    order: list[ParamSpec] = []
    pending = list(specs)
    while pending:
        done = {s.name for s in order}
        ready = next((s for s in pending if all(
            n in done or n not in {p.name for p in pending} for n in s.type.needs)), pending[0])
        order.append(ready)
        pending.remove(ready)
    return order


def relabelled(name: str, mapping: Mapping[str, str],
               solve: Callable[[Params], Answers]) -> Callable[[Params], Answers | None]:
    """A mistake that gives the labels of answer ``name`` through ``mapping`` (the others as
    they are); it does not arise when no label changes.

    >>> swapped = relabelled("labels", {"min": "max", "max": "min"}, lambda p: {"labels": p["l"]})
    >>> swapped({"l": ["min", "neither"]}), swapped({"l": ["neither"]})
    ({'labels': ['max', 'neither']}, None)
    """
    def mistake(params: Params) -> Answers | None:
        labels = solve(params)[name]
        changed = [mapping.get(label, label) for label in labels]
        return None if changed == labels else {name: changed}
    return mistake


def negated(name: str, solve: Callable[[Params], Answers]) -> Callable[[Params], Answers]:
    """A mistake that gives answer ``name`` (a number or a list of them) with the wrong sign.

    >>> negated("gradient", lambda p: {"gradient": [1.5, -2.0]})({})
    {'gradient': [-1.5, 2.0]}
    """
    def mistake(params: Params) -> Answers:
        value = solve(params)[name]
        return {name: [-v for v in value] if isinstance(value, list) else -value}
    return mistake


def remembered(solve: Callable[[Any, Params], Answers]) -> Callable[[Any, Params], Answers]:
    """A family's ``solve`` that remembers its answers by params (sampling, checking and
    diagnosing ask for the same variant's answers several times); every caller gets its own
    copy. At most ``MAX_REMEMBERED`` variants are kept.

    >>> class Counting:
    ...     calls = 0
    ...     @remembered
    ...     def solve(self, params):
    ...         Counting.calls += 1
    ...         return {"points": [[params["a"]]]}
    >>> first = Counting().solve({"a": 1}); first["points"][0].append(2)
    >>> Counting().solve({"a": 1}), Counting.calls
    ({'points': [[1]]}, 1)
    """
    seen: dict[str, Answers] = {}

    def solve_once(self, params: Params) -> Answers:
        key = json.dumps(params, sort_keys=True)
        if key not in seen:
            if len(seen) >= MAX_REMEMBERED:
                seen.clear()
            seen[key] = solve(self, params)
        return {name: _copied(value) for name, value in seen[key].items()}
    return solve_once


MAX_REMEMBERED = 4096


def _copied(value: Any) -> Any:
    return [_copied(v) for v in value] if isinstance(value, list) else value


def require_bounded(family: str, points, lr: float, limit: float) -> None:
    """Raise ParamsError when some entry of ``points`` is not finite or exceeds ``limit`` in size.

    >>> require_bounded("f", [[1.0, 2.0], [1e9, 0.0]], 0.5, 1e6)
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: f: the iterates diverge with lr=0.5 (they grow beyond 1e+06); choose a smaller lr
    """
    if not all(math.isfinite(v) and abs(v) <= limit for point in points for v in point):
        raise ParamsError(f"{family}: the iterates diverge with lr={lr} (they grow beyond {limit:g}); "
                          "choose a smaller lr")


def require_finite(name: str, family: str, *values: float) -> None:
    """Raise ParamsError when any value is nan or infinite."""
    for value in values:
        if not math.isfinite(value):
            raise ParamsError(f"{family}: {name} is not defined there (the value is {value})")


def as_point(value: Any, length: int) -> list[float] | None:
    """``value`` as a list of ``length`` finite numbers, or None; in 1-D a bare number is a point.

    >>> as_point([1, 2.5], 2), as_point(3, 1), as_point([1, "x"], 2)
    ([1.0, 2.5], [3.0], None)
    """
    if length == 1 and _is_number(value):
        value = [value]
    if not (isinstance(value, list) and len(value) == length and all(_is_number(v) for v in value)):
        return None
    return [float(v) for v in value]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _largest(values) -> float:
    """max |v| over ``values`` (the ∞-norm); nan when some entry is not finite."""
    values = [abs(float(v)) for v in values]
    return max(values) if all(math.isfinite(v) for v in values) else math.nan


def stationary_test(start: list, gradient: Callable[[list], Any],
                    spec: AnswerSpec) -> Callable[[list], bool]:
    """Whether a point is stationary: its ``gradient`` is zero within tolerance.

    ``gradient`` is the quantity whose vanishing makes a point stationary (∇f when
    minimising f, f itself for Newton's root finding, the cost gradient for a regression).
    It counts as zero when every entry is at most ``spec.rtol · g0`` in size, g0 being the
    largest entry of ``gradient(start)`` in size: the answer's relative tolerance on the
    problem's own scale, so that scaling f changes nothing. With the default rtol = 1e-3 a
    point is stationary once its gradient has shrunk a thousandfold from the start (for a
    quadratic: once it is a thousand times closer to the minimiser than the start was).
    Only when the start itself is stationary (g0 = 0) is the bound ``spec.atol``. A
    gradient that cannot be computed is not zero.

    >>> spec = AnswerSpec("iterates", "x")
    >>> stationary = stationary_test([3.0], lambda p: [2 * p[0] - 4], spec)   # f = (x − 2)², g0 = 2
    >>> stationary([2.0]), stationary([2.0009]), stationary([2.0011])
    (True, True, False)
    """
    try:
        with np.errstate(all="ignore"):
            scale = _largest(gradient(list(start)))
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        scale = math.nan
    bound = spec.rtol * scale if math.isfinite(scale) and scale > 0 else spec.atol

    def stationary(point: list) -> bool:
        try:
            with np.errstate(all="ignore"):
                size = _largest(gradient(list(point)))
        except (ArithmeticError, ValueError, np.linalg.LinAlgError):
            return False
        return size <= bound  # False for nan
    return stationary


def close_to(value: Any, expected: list | None, spec: AnswerSpec) -> bool:
    """Whether the point ``value`` matches ``expected`` entry by entry within the spec's tolerance.

    >>> close_to([1.0004], [1.0], AnswerSpec("iterates", "x")), close_to(None, [1.0], AnswerSpec("iterates", "x"))
    (True, False)
    """
    return (value is not None and expected is not None and len(value) == len(expected) and all(
        abs(v - e) <= spec.atol + spec.rtol * abs(e) for v, e in zip(value, expected)))


def carry_steps(start: list, points: Any, step: Callable[[list], list], spec: AnswerSpec,
                gradient: Callable[[list], Any],
                value_at: Callable[[list], list] | None = None) -> CarriedSteps | None:
    """Apply ``step`` to ``start`` and to each of the student's ``points`` but the last.

    Carried-forward credit is refused at step k when the student's point k−1 is
    stationary — ``gradient`` vanishes there within tolerance (:func:`stationary_test`:
    every entry at most ``rtol`` times the largest entry of the gradient at the start) —
    and the student did not reach that point by a correct step (the step from
    the previous point, itself not refused). So a student who types the minimiser
    collects nothing from it, while one who slipped and then converges keeps every
    correct step; a point merely close to convergence, whose step is small, is not
    stationary. With ``value_at``, ``expected[k]`` is ``value_at(input k)`` instead of
    the next point (e.g. the gradient at each iterate before its step).

    >>> spec = AnswerSpec("iterates", "x")
    >>> halve, g = (lambda p: [p[0] / 2]), (lambda p: [p[0]])      # f = x²/2, α = 1/2
    >>> carried = carry_steps([1.0], [[0.5], [0.0]], halve, spec, gradient=g)
    >>> carried.expected, carried.stationary
    ([[0.5], [0.25]], [False, False])
    >>> carry_steps([1.0], [[0.0], [0.0]], halve, spec, gradient=g).stationary   # typed the minimiser
    [False, True]
    >>> carry_steps([1.0], [[0.0], [0.0]], lambda p: [0.0], spec, gradient=g).stationary  # reached it
    [False, False]
    """
    if not isinstance(points, list) or not points:
        return None
    n = len(start)
    stationary_at = stationary_test(start, gradient, spec)
    expected, stationary = [], []
    reached = True  # the start is given
    for k, given in enumerate([list(start)] + list(points[:-1])):
        point = as_point(given, n)
        if point is None:
            expected.append(None)
            stationary.append(False)
            reached = False
            continue
        after = _finite_values(step, point)
        expected.append(_finite_values(value_at, point) if value_at else after)
        refused = k > 0 and not reached and stationary_at(point)
        stationary.append(refused)
        reached = not refused and close_to(as_point(points[k], n), after, spec)
    return CarriedSteps(expected, stationary)


def _finite_values(function: Callable[[list], Any], point: list) -> list[float] | None:
    """``function(point)`` as a list of floats, or None when it fails or is not finite."""
    try:
        with np.errstate(all="ignore"):
            values = [float(v) for v in function(point)]
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):
        return None
    return values if all(math.isfinite(v) for v in values) else None
