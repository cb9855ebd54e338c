"""``concavity``: f″, the inflection points and the concavity on each interval between them.

The ``derivative`` family's ``order = 2`` option covers f″ and the concavity *at a point*;
this family covers where the concavity changes. The sampler builds f″ from chosen roots:
a cubic a x³ + b x² + … with f″ = 6a(x − r); a quartic with f″ = 12a(x − r₁)(x − r₂), a
double root (no inflection point) or no real root; or a simple function (x e^(kx),
ln(x² + a²), e^(−x²/2), x/(x² + 3), arctan x) times a coefficient. Inflection points are
nice numbers (integers, or ±2/k).

>>> family = ConcavityFamily()
>>> answers = family.solve(family.validate({"f": "x^4 - 6x^2 + 3"}))
>>> answers["inflection_points"], answers["concavity"]
([-1.0, 1.0], ['concave up', 'concave down', 'concave up'])
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Expression, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject, relabelled
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import concavity as sol
from calcgrade.solutions.calculus import diff
from calcgrade.solutions.hessian import poly_text
from calcgrade.core.numeric import compile_numeric
from calcgrade.core.printing import to_latex

KINDS = ("cubic", "quartic", "function")
SYNONYMS = {
    "convex": "concave up", "up": "concave up", "concave upward": "concave up",
    "concave upwards": "concave up", "convex up": "concave up",
    "concave": "concave down", "down": "concave down", "concave downward": "concave down",
    "concave downwards": "concave down",
}
F = Fraction


# the sampler ------------------------------------------------------------------------------------

def _text(coeffs) -> str:
    """A polynomial (coefficients constant first) as text, highest degree first."""
    return poly_text({(k,): c for k, c in enumerate(coeffs) if c != 0}, ["x"])


def _cubic(rng):
    a, r = pick(rng, (1, 2, -1, -2, 1, -1)), nice(rng, -3, 3)
    return _text([nice(rng, -5, 5), nice(rng, -6, 6), -3 * a * r, a])


def _quartic(rng):
    a = pick(rng, (1, -1, 1, -1, F(1, 2), F(-1, 2), 2, -2))
    shape = pick(rng, ("two", "two", "two", "two", "double", "double", "none"))
    if shape == "two":
        r1, r2 = sorted(int(v) for v in rng.choice(np.arange(-3, 4), size=2, replace=False))
        b, c = -2 * a * (r1 + r2), 6 * a * r1 * r2
    elif shape == "double":
        r = nice(rng, -2, 2)
        b, c = -4 * a * r, 6 * a * r * r
    else:  # f'' = 12a((x - m)^2 + q) with q > 0
        m, q = nice(rng, -2, 2), pick(rng, (F(1, 2), 1, F(3, 2), 2))
        b, c = -4 * a * m, 6 * a * (m * m + q)
    if any(F(v).denominator != 1 for v in (a * 2 * b, 2 * c)):
        raise Reject("coefficients are not nice")
    coeffs = [nice(rng, -5, 5), nice(rng, -6, 6), c, b, a]
    return _text([v.numerator if isinstance(v, F) and v.denominator == 1 else v for v in coeffs])


def _function(rng):
    c = pick(rng, ("", "", "2*", "3*", "4*", "5*", "-", "-2*", "-3*", "0.5*"))
    body = pick(rng, (
        lambda: f"x*exp({pick(rng, ('', '-', '2*', '-2*', '0.5*', '-0.5*'))}x)",
        lambda: f"log(x**2 + {pick(rng, (1, 4, 9))})",
        lambda: "exp(-x**2/2)",
        lambda: f"x/(x**2 + {pick(rng, (3, 12, 27))})",
        lambda: "atan(x)",
    ))()
    k = pick(rng, ("", "2*", "3*", "4*", "5*"))
    extra = pick(rng, ("", f" + {k}x", f" - {k}x", f" + {nice(rng, 1, 5)}", f" - {nice(rng, 1, 5)}"))
    return c + body + extra


BUILDERS = {"cubic": _cubic, "quartic": _quartic, "function": _function}


# answers and mistakes ----------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _reference(text: str) -> dict:
    return sol.solve(parse_cached(text, ("x",)))


def _solved(params) -> dict:
    a = _reference(params["f"])
    return {"second_derivative": a["second_derivative"],
            "inflection_points": list(a["inflection_points"]), "concavity": list(a["concavity"])}


@lru_cache(maxsize=512)
def _critical_points(text: str) -> tuple[float, ...]:
    """The real roots of f′ (every one, sign change or not), ascending."""
    f = parse_cached(text, ("x",))
    coeffs = sol.coefficients(f)
    if coeffs is None:  # a sign change of f' is where a student would find f' = 0
        return tuple(sol.scan_sign_changes(diff(f, "x"), -sol.WINDOW, sol.WINDOW))
    d = sol.derivative_coefficients(coeffs)
    while len(d) > 1 and d[-1] == 0:
        d.pop()
    if len(d) < 2:
        return ()
    roots = np.roots([float(c) for c in reversed(d)])
    real = sorted({round(float(r.real), 9) + 0.0 for r in roots if abs(r.imag) < 1e-7})
    return tuple(real)


def _critical_as_inflection(params):
    points = list(_critical_points(params["f"]))
    return {"inflection_points": points} if points else None


def _double_root_counted(params):
    coeffs = sol.coefficients(parse_cached(params["f"], ("x",)))
    if coeffs is None or len(coeffs) != 5 or coeffs[4] == 0:
        return None
    c, b, a = sol.derivative_coefficients(sol.derivative_coefficients(coeffs))
    if b * b - 4 * a * c != 0:
        return None
    r = float(-b / (2 * a)) + 0.0
    label = _solved(params)["concavity"][0]
    return {"inflection_points": [r], "concavity": [label, label]}


MISTAKES = (
    Mistake("critical_points_as_inflection",
            "you listed the points where f′ = 0 (critical points): inflection points are where "
            "f″ changes sign",
            _critical_as_inflection),
    Mistake("sign_flipped",
            "your concavity is the wrong way round: f″ > 0 means concave up, f″ < 0 concave down",
            relabelled("concavity", {"concave up": "concave down", "concave down": "concave up"}, _solved)),
    Mistake("double_root_counted",
            "f″ = 0 at a double root, but f″ does not change sign there, so it is no inflection "
            "point and the concavity stays the same on both sides",
            _double_root_counted),
)


class ConcavityFamily(Family):
    name = "concavity"
    topic = "second derivatives and concavity"
    skills = ("second derivative", "inflection points", "concavity intervals")
    summary = "f″, the inflection points (where f″ changes sign) and the concavity between them"
    params = (
        ParamSpec("f", Expression(("x",)), "a function of x defined for every real x (ln is the "
                  "natural log); non-polynomials are searched on [-20, 20]"),
    )
    options = (
        OptionSpec("kind", "any", "the function: " + ", ".join(KINDS), choices=("any",) + KINDS),
    )
    # The inflection points are a set, listed ascending by convention. The concavity labels
    # are not: the k-th label is the concavity on the k-th interval from the left, so its
    # position is what says where f is concave up or down (n points make n + 1 intervals,
    # nothing to pair them with).
    answers = {
        "second_derivative": AnswerSpec("expression", "f″(x)", variables=("x",)),
        "inflection_points": AnswerSpec("vector", "the x where f″ changes sign, ascending",
                                        unordered=True),
        "concavity": AnswerSpec("labels", "one label per interval between consecutive inflection "
                                "points, left to right", labels=sol.LABELS, synonyms=SYNONYMS),
    }

    catalog = MISTAKES

    def check(self, params):
        f = parse_cached(params["f"], ("x",))
        if not f.has("x"):
            raise ParamsError(f"{self.name}: param 'f' must depend on x")
        try:
            _reference(params["f"])
        except ValueError as error:
            raise ParamsError(f"{self.name}: {error}; give a function with a nonzero second "
                              "derivative defined for every x") from None
        grid = np.linspace(-sol.WINDOW, sol.WINDOW, 81)
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.asarray(compile_numeric(f)({"x": grid}), dtype=float), grid.shape)
        if not np.all(np.isfinite(values)):
            raise ParamsError(f"{self.name}: f must be defined for every x (it is not on "
                              f"[-{sol.WINDOW:g}, {sol.WINDOW:g}]); choose another function")
        return params

    def draw(self, rng: np.random.Generator, *, kind):
        kind = pick(rng, (("cubic",) * 3 + ("quartic",) * 5 + ("function",) * 1)) \
            if kind == "any" else kind
        text = BUILDERS[kind](rng)
        points = _reference(text)["inflection_points"]
        if any(abs(p) > 10 for p in points):
            raise Reject("an inflection point is too far out")
        return {"f": text}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        answer = _reference(params["f"])["second_derivative"]
        example = next(e for e in ("12*x**2 - 6", "6*x + 2") if e != answer)
        return {"f_latex": to_latex(parse_cached(params["f"], ("x",))), "example": example}
