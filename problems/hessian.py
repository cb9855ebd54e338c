"""``hessian``: gradient, Hessian, its eigenvalues and the second-derivative test at a point.

The sampler builds f = c + ½ wᵀAw + (terms of degree 3 and 4 in w), w = v − p, around
an integer point p, with the symmetric integer matrix A drawn for the requested
classification, and expands it into a polynomial in the variables: p is a critical point.
An inconclusive A has a zero eigenvalue (the others of one sign) and f has a cubic or
quartic term along that eigenvector, so the second-derivative test genuinely cannot decide.

>>> import numpy as np
>>> family = HessianFamily()
>>> params = family.validate({"f": "2x^2 + 3y^2 - x*y", "vars": ["x", "y"], "point": [0, 0]})
>>> answers = family.solve(params)
>>> answers["hessian"], answers["classification"]
([[4.0, -1.0], [-1.0, 6.0]], 'minimum')
>>> params = family.sample(np.random.default_rng(1), classification="saddle", dims=3)
>>> family.solve(params)["classification"], len(params["vars"])
('saddle', 3)
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations_with_replacement
from math import comb

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import CanonicalExpression, Variables, Vector, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import hessian as hs
from calcgrade.core.printing import to_latex

VARIABLES = {2: ["x", "y"], 3: ["x", "y", "z"]}
SYNONYMS = {
    "min": "minimum", "local minimum": "minimum", "local min": "minimum",
    "relative minimum": "minimum", "minimum point": "minimum",
    "max": "maximum", "local maximum": "maximum", "local max": "maximum",
    "relative maximum": "maximum", "maximum point": "maximum",
    "saddle point": "saddle", "saddlepoint": "saddle",
    "none": "inconclusive", "undetermined": "inconclusive", "degenerate": "inconclusive",
    "indeterminate": "inconclusive", "test inconclusive": "inconclusive",
}
# accepted beside SYNONYMS where the point given is not a critical point (explicit params)
NOT_CRITICAL_SYNONYMS = {
    "not critical": hs.NOT_CRITICAL, "not a critical point": hs.NOT_CRITICAL,
    "non-critical": hs.NOT_CRITICAL, "noncritical": hs.NOT_CRITICAL,
    "no critical point": hs.NOT_CRITICAL, "not stationary": hs.NOT_CRITICAL,
    "not a stationary point": hs.NOT_CRITICAL, "non-stationary": hs.NOT_CRITICAL,
    "gradient not zero": hs.NOT_CRITICAL, "gradient nonzero": hs.NOT_CRITICAL,
}

# polynomials in w = v − p: {exponent tuple: integer coefficient} -------------------------
Poly = dict


def _linear(coeffs, constant: int = 0) -> Poly:
    n = len(coeffs)
    poly = {tuple(int(i == j) for j in range(n)): c for i, c in enumerate(coeffs)}
    poly[(0,) * n] = constant
    return {m: c for m, c in poly.items() if c != 0}


def _shift(poly: Poly, point) -> Poly:
    """The polynomial in v obtained by substituting w_i = v_i − p_i (binomial expansion)."""
    for i, p in enumerate(point):
        if p == 0:
            continue
        out: Poly = {}
        for mono, c in poly.items():
            e = mono[i]
            for k in range(e + 1):
                key = mono[:i] + (k,) + mono[i + 1:]
                out[key] = out.get(key, 0) + c * comb(e, k) * (-p) ** (e - k)
        poly = {m: c for m, c in out.items() if c != 0}
    return poly


def _along(poly: Poly, direction) -> Poly:
    """poly(s·direction) as {(degree,): coefficient}."""
    out: Poly = {}
    for mono, c in poly.items():
        value = c
        for m, e in zip(direction, mono):
            value *= m**e
        out[(sum(mono),)] = out.get((sum(mono),), 0) + value
    return {m: c for m, c in out.items() if c != 0}


def _quadratic(matrix) -> Poly:
    n = len(matrix)
    poly = {}
    for i in range(n):
        for j in range(i, n):
            mono = tuple((k == i) + (k == j) for k in range(n))
            poly[mono] = matrix[i][i] // 2 if i == j else matrix[i][j]
    return {m: c for m, c in poly.items() if c != 0}


# matrices with a chosen inertia ----------------------------------------------------------


def _minors(matrix) -> list[int]:
    """The leading principal minors of a 2×2 or 3×3 integer matrix."""
    (a, b, *_), (_, d, *_) = matrix[0], matrix[1]
    minors = [a, a * d - b * b]
    if len(matrix) == 3:
        (a, b, c), (_, d, e), (_, _, f) = matrix
        minors.append(a * (d * f - e * e) - b * (b * f - c * e) + c * (b * e - c * d))
    return minors


def _label_of(matrix) -> str:
    """The exact label of a nonsingular symmetric integer matrix (Sylvester's criterion)."""
    minors = _minors(matrix)
    if minors[-1] == 0:
        return "inconclusive"
    if all(m > 0 for m in minors):
        return "minimum"
    if all(m > 0 if k % 2 else m < 0 for k, m in enumerate(minors)):
        return "maximum"
    return "saddle"


def _form(rng, n: int, label: str, small: bool = False) -> list[list[int]]:
    """A nonsingular symmetric integer matrix with even diagonal and the given label."""
    top, off = (3, 2) if small else (4, 4)
    for _ in range(100):
        if label in ("minimum", "maximum"):
            diag = [2 * nice(rng, 1, top) for _ in range(n)]
        else:
            diag = [2 * nice(rng, -top + 1, top - 1) for _ in range(n)]
        matrix = [[0] * n for _ in range(n)]
        for i in range(n):
            matrix[i][i] = diag[i]
            for j in range(i + 1, n):
                matrix[i][j] = matrix[j][i] = nice(rng, -off, off)
        if label == "maximum":
            matrix = [[-a for a in row] for row in matrix]
        if _label_of(matrix) == label:
            return matrix
    raise Reject(f"no {label} matrix drawn")


def _cross(u, v) -> list[int]:
    return [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]]


def _orthogonal_basis(m) -> list[list[int]]:
    """n − 1 independent integer vectors orthogonal to ``m``."""
    if len(m) == 2:
        return [[-m[1], m[0]]]
    a, b, c = m
    basis: list[list[int]] = []
    for u in ([b, -a, 0], [c, 0, -a], [0, c, -b]):
        if any(u) and (not basis or any(_cross(basis[0], u))):
            basis.append(u)
    return basis[:2]


def _singular(rng, n: int, label: str):
    """(A, m): A = Uᵀ B U with B of the given label on m⊥, so A m = 0 and A has one zero eigenvalue."""
    m = [nice(rng, -1, 1) for _ in range(n)]
    if not any(m) or sum(1 for v in m if v) > 2:
        raise Reject("no short direction for the zero eigenvalue")
    basis = _orthogonal_basis(m)
    if n == 3 and rng.integers(2):
        basis[1] = [u + v for u, v in zip(basis[1], basis[0])]
    if n == 2:
        inner = [[pick(rng, (-1, 1)) * 2 * nice(rng, 1, 3)]]
    else:
        inner = _form(rng, n - 1, label, small=True)
    r = range(n - 1)
    matrix = [[sum(basis[k][i] * inner[k][l] * basis[l][j] for k in r for l in r) for j in range(n)]
              for i in range(n)]
    return matrix, m


def _random_monomial(rng, n: int, degree: int) -> tuple[int, ...]:
    choices = list(combinations_with_replacement(range(n), degree))
    chosen = pick(rng, choices)
    return tuple(chosen.count(i) for i in range(n))


# answers, cached per params, and the mistakes -----------------------------------------------


@lru_cache(maxsize=512)
def _canonical(f: str, variables: tuple[str, ...]) -> dict | None:
    """The polynomial when ``f`` is in the canonical form of :func:`hs.poly_text`, else None."""
    return hs.poly_from_text(f, variables)


@lru_cache(maxsize=512)
def _polynomial(f: str, variables: tuple[str, ...]) -> dict | None:
    """f as an exact polynomial (fast for the canonical text the sampler writes), or None."""
    poly = _canonical(f, variables)
    return poly if poly is not None else hs.poly_from_expr(parse_cached(f, variables), variables)


@lru_cache(maxsize=512)
def _analysis(f: str, variables: tuple[str, ...], point: tuple) -> dict:
    poly = _polynomial(f, variables)
    if poly is not None:
        return hs.analyze_poly(poly, point)
    return hs.analyze(parse_cached(f, variables), list(variables), point)


def _solved(params) -> dict:
    a = _analysis(params["f"], tuple(params["vars"]), tuple(params["point"]))
    label = a["classification"] if hs.is_critical(a["gradient"]) else hs.NOT_CRITICAL
    return {"gradient": list(a["gradient"]), "hessian": [list(r) for r in a["hessian"]],
            "eigenvalues": list(a["eigenvalues"]), "classification": label}


def _critical(params) -> bool:
    return _solved(params)["classification"] != hs.NOT_CRITICAL


def _at_critical_point(mistake):
    """A classification mistake, which only arises where the test applies."""
    def at_critical_point(params):
        return mistake(params) if _critical(params) else None
    return at_critical_point


def _by_trace(params):
    a = _solved(params)
    trace = sum(a["hessian"][i][i] for i in range(len(a["hessian"])))
    if hs.is_zero(trace, max(abs(v) for row in a["hessian"] for v in row)):
        return None
    label = "minimum" if trace > 0 else "maximum"
    return None if label == a["classification"] else {"classification": label}


def _saddle_with_zero(params):
    a = _solved(params)
    if a["classification"] == "saddle" and hs.has_zero_eigenvalue(a["eigenvalues"]):
        return {"classification": "inconclusive"}
    return None


def _by_determinant(params):
    a = _solved(params)
    if len(a["hessian"]) != 2:
        return None
    (p, q), (_, r) = a["hessian"]
    det = p * r - q * q
    if hs.is_zero(det, max(p * p, q * q, r * r)):
        label = "inconclusive"
    else:
        label = "minimum" if det > 0 else "saddle"
    return None if label == a["classification"] else {"classification": label}


def _missing_mixed(params):
    a = _solved(params)
    h = a["hessian"]
    n = len(h)
    if all(h[i][j] == 0 for i in range(n) for j in range(n) if i != j):
        return None
    diagonal = [[h[i][j] if i == j else 0.0 for j in range(n)] for i in range(n)]
    values = hs.eigenvalues(diagonal)
    label = hs.classify(values) if a["classification"] != hs.NOT_CRITICAL else hs.NOT_CRITICAL
    return {"hessian": diagonal, "eigenvalues": values, "classification": label}


class HessianFamily(Family):
    name = "hessian"
    topic = "Hessians and critical points"
    skills = ("partial derivatives", "Hessian matrix", "eigenvalues", "second-derivative test")
    summary = "∇f, the Hessian, its eigenvalues and the classification of a point by the eigenvalue test"
    params = (
        ParamSpec("f", CanonicalExpression("vars", shown="expression"), "the function, in the variables of 'vars'"),
        ParamSpec("vars", Variables((2, 3), shown="list of 2 or 3 variable names"), "the variables, in order"),
        ParamSpec("point", Vector(length="vars"), "the point, one coordinate per variable"),
    )
    options = (
        OptionSpec("classification", "any", "the classification of the sampled critical point",
                   choices=("any",) + hs.LABELS),
        OptionSpec("dims", "any", "the number of variables (2, 3 or 'any')", choices=(2, 3, "any")),
    )
    # The eigenvalues are a multiset, listed ascending by convention; the gradient's and the
    # Hessian's entries follow the order of the variables.
    answers = {
        "gradient": AnswerSpec("vector", "∇f at the point"),
        "hessian": AnswerSpec("matrix", "the Hessian of f at the point, as a list of rows"),
        "eigenvalues": AnswerSpec("vector", "the eigenvalues of the Hessian, ascending", unordered=True),
        "classification": AnswerSpec("label", "the result of the eigenvalue test, or 'not a critical "
                                     "point' where ∇f ≠ 0 (only with explicit params)",
                                     labels=hs.LABELS + (hs.NOT_CRITICAL,),
                                     synonyms={**SYNONYMS, **NOT_CRITICAL_SYNONYMS}),
    }
    # At a critical point (every sampled variant) the label is one of the four verdicts of
    # the test, read and shown exactly as before "not a critical point" existed.
    AT_CRITICAL_POINT = AnswerSpec("label", "the result of the eigenvalue test", labels=hs.LABELS,
                                   synonyms=SYNONYMS)

    def answer_specs(self, params):
        specs = super().answer_specs(params)
        if _critical(params):
            specs["classification"] = self.AT_CRITICAL_POINT
        return specs

    catalog = (
        Mistake("classified_by_trace",
                "you seem to have classified by the sign of the trace (the sum of the eigenvalues): "
                "a minimum needs every eigenvalue positive and a maximum every eigenvalue negative; "
                "a positive and a negative eigenvalue make a saddle",
                _at_critical_point(_by_trace)),
        Mistake("saddle_with_zero_called_inconclusive",
                "a zero eigenvalue makes the test inconclusive only when the other eigenvalues share "
                "a sign: with a positive and a negative eigenvalue the point is a saddle",
                _at_critical_point(_saddle_with_zero)),
        Mistake("classified_by_determinant",
                "det H > 0 alone does not make a minimum: it only says both eigenvalues have the same "
                "sign; the sign of the diagonal entries (e.g. ∂²f/∂x²) then decides between minimum "
                "and maximum",
                _at_critical_point(_by_determinant)),
        Mistake("missing_mixed_partials",
                "your Hessian has zeros off the diagonal: the mixed partial derivatives belong there, "
                "and the eigenvalues are those of the full matrix, not its diagonal entries",
                _missing_mixed),
    )

    def check(self, params):
        variables, point, f = params["vars"], params["point"], params["f"]
        try:
            _analysis(f, tuple(variables), tuple(point))
        except ValueError:
            raise ParamsError(f"{self.name}: f or its first or second derivatives are not defined at "
                              f"point {point}; choose a point inside the domain of f") from None
        return {"f": f, "vars": variables, "point": point}

    def draw(self, rng: np.random.Generator, *, classification: str, dims):
        n = pick(rng, (2, 3)) if dims == "any" else dims
        label = pick(rng, hs.LABELS) if classification == "any" else classification
        null = None
        if label == "inconclusive":
            matrix, null = _singular(rng, n, pick(rng, ("minimum", "maximum")))
        elif label == "saddle" and n == 3 and rng.random() < 0.5:
            matrix, null = _singular(rng, n, "saddle")
        else:
            matrix = _form(rng, n, label)
        if max(abs(a) for row in matrix for a in row) > 16:
            raise Reject("Hessian entries too large")
        if hs.classify(hs.eigenvalues(matrix)) != label:
            raise Reject(f"the Hessian is not a {label}")
        higher = []
        if label == "inconclusive":
            k = pick(rng, (3, 4)) if sum(1 for v in null if v) == 1 else 3  # keep the expansion short
            e = nice(rng, -2, 2, nonzero=True) if k == 3 else pick(rng, (-1, 1))
            higher.append({m: e * c for m, c in hs.ppow(_linear(null), k, n).items()})
        extra = pick(rng, (0, 1) if null is not None else (0, 1, 1, 2))
        for _ in range(extra):
            degree = pick(rng, (3, 3, 4)) if null is None else 3
            coeff = nice(rng, -2, 2, nonzero=True) if degree == 3 else pick(rng, (-1, 1))
            higher.append({_random_monomial(rng, n, degree): coeff})
        w_poly = hs.padd({(0,) * n: nice(rng, -5, 5)}, _quadratic(matrix), *higher)
        if label == "inconclusive" and not any(deg > 2 for (deg,) in _along(w_poly, null)):
            raise Reject("f is quadratic along the zero-eigenvalue direction")
        point = [nice(rng, -2, 2) for _ in range(n)]
        names = VARIABLES[n]
        return {"f": hs.poly_text(_shift(w_poly, point), names), "vars": list(names), "point": point}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        variables = params["vars"]
        poly = _polynomial(params["f"], tuple(variables))
        if poly is not None:
            f_latex = hs.poly_latex(poly, variables)
        else:
            f_latex = to_latex(parse_cached(params["f"], tuple(variables)))
        return {
            "f_latex": f_latex,
            "args": ", ".join(variables),
            "point_text": ", ".join(str(p) for p in params["point"]),
            "n": len(variables),
            "partials": ", ".join(rf"\dfrac{{\partial f}}{{\partial {v}}}" for v in variables),
            "not_critical": not _critical(params),
        }
