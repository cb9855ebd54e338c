"""``non_differentiable``: where a function is not differentiable, and of which kind.

Params are either ``terms`` (a list of [type, coefficient, at], types ``abs``, ``relu``,
``cbrt``, ``cbrt_sq``, ``step``; see :mod:`calcgrade.solutions.non_differentiable`) with an
optional polynomial ``smooth`` added, or ``pieces`` (polynomials in x) and their ``breaks``.
A single ReLU term with a positive coefficient also asks for the ``subgradient`` there.

>>> family = NonDifferentiableFamily()
>>> params = family.validate({"terms": [["relu", 1, 0]]})
>>> family.solve(params)
{'points': [0.0], 'kinds': ['corner'], 'subgradient': [0.0, 1.0]}
>>> family.solve(family.validate({"pieces": ["x^2", "2*x - 1"], "breaks": [1]}))
{'points': [], 'kinds': []}
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, ListOf, Number, Polynomial, Row, Vector
from calcgrade.problems.family import AnswerSpec, Family, Form, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import number_text, shifted
from calcgrade.solutions import hessian as hs
from calcgrade.solutions import non_differentiable as nd

SHAPES = ("abs", "relu", "root", "step", "piecewise", "mixed")
MAX_TERMS = 6
MAX_PIECES = 5
MAX_DEGREE = 4
SYNONYMS = {
    "kink": "corner", "corner point": "corner", "sharp corner": "corner",
    "cusp point": "cusp",
    "discontinuity": "jump", "jump discontinuity": "jump", "discontinuous": "jump",
    "vertical": "vertical tangent", "vertical tangent line": "vertical tangent",
    "vertical tangent point": "vertical tangent", "infinite slope": "vertical tangent",
}


@lru_cache(maxsize=512)
def _poly(text: str) -> dict:
    """A canonical polynomial text (as :func:`hs.poly_text` writes it) as {(e,): c}."""
    return hs.poly_from_text(text, ["x"])


def _shape_terms(params) -> bool:
    return "terms" in params


def _smooth(params) -> dict:
    return _poly(params["smooth"]) if "smooth" in params else {}


def _is_relu_variant(params) -> bool:
    terms = params.get("terms", [])
    return len(terms) == 1 and terms[0][0] == "relu" and terms[0][1] > 0


def _analysis(params) -> dict:
    if _shape_terms(params):
        return nd.analyze_terms(params["terms"])
    return nd.analyze_pieces([_poly(p) for p in params["pieces"]], params["breaks"])


POLYNOMIAL = Polynomial(("x",), degree=(0, MAX_DEGREE), shown="expression")
TERMS = ListOf(Row((Choice(nd.TERM_KINDS), Number(), Number()), shown="[type, coefficient, at]", unit="triples"),
               counts=(1, MAX_TERMS), unit="[type, coefficient, at] triples",
               shown="list of [type, coefficient, at]")


# the mistakes ----------------------------------------------------------------------------


def _renamed(params, old: str):
    kinds = _analysis(params)["kinds"]
    if old not in kinds:
        return None
    return {"kinds": ["cusp" if k == old else k for k in kinds]}


def _corner_called_cusp(params):
    return _renamed(params, "corner")


def _vertical_called_cusp(params):
    return _renamed(params, "vertical tangent")


def _missed_continuous(params):
    answers = _analysis(params)
    kept = [(p, k) for p, k in zip(answers["points"], answers["kinds"]) if k == "jump"]
    if len(kept) == len(answers["points"]):
        return None
    return {"points": [p for p, _ in kept], "kinds": [k for _, k in kept]}


def _subgradient_by_heart(params):
    if not _is_relu_variant(params):
        return None
    _, c, a = params["terms"][0]
    if nd.poly_slope(_smooth(params), a) == 0:
        return None
    return {"subgradient": [0.0, float(c)]}


# statements ----------------------------------------------------------------------------


def _whole(value):
    """``1.0`` -> ``1``: sampled coefficients print as plain numbers."""
    return int(value) if float(value).is_integer() else value


def _term_latex(kind: str, a) -> str:
    inner = shifted(a)
    return {"abs": rf"\left|{inner}\right|", "relu": rf"\max(0,\ {inner})",
            "cbrt": rf"\sqrt[3]{{{inner}}}", "cbrt_sq": rf"\sqrt[3]{{({inner})^{{2}}}}",
            "step": rf"H({inner})"}[kind]


def _sum_latex(smooth: dict, terms) -> str:
    parts = []  # (sign, text)
    if smooth:
        text = hs.poly_latex(smooth, ["x"])
        parts.append(("-", text[1:]) if text.startswith("-") else ("+", text))
    for kind, c, a in terms:
        size = "" if abs(c) == 1 else number_text(abs(c)) + r"\,"
        parts.append(("-" if c < 0 else "+", size + _term_latex(kind, a)))
    first_sign, first = parts[0]
    return ("-" if first_sign == "-" else "") + first + "".join(f" {s} {t}" for s, t in parts[1:])


def _pieces_latex(params) -> str:
    pieces, breaks = params["pieces"], params["breaks"]
    rows = []
    for k, piece in enumerate(pieces):
        text = hs.poly_latex(_poly(piece), ["x"])
        if k == 0:
            where = rf"x < {number_text(breaks[0])}"
        elif k == len(pieces) - 1:
            where = rf"x \ge {number_text(breaks[-1])}"
        else:
            where = rf"{number_text(breaks[k - 1])} \le x < {number_text(breaks[k])}"
        rows.append(rf"{text} & \text{{if }} {where}")
    return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"


class NonDifferentiableFamily(Family):
    name = "non_differentiable"
    topic = "differentiability"
    skills = ("one-sided derivatives", "continuity", "corners, cusps and vertical tangents", "subgradients")
    summary = ("the points where |x − a|, ReLU, cube roots, steps or piecewise polynomials are not "
               "differentiable, with the kind of each; the subdifferential of a ReLU")
    params = (
        ParamSpec("terms", TERMS, "terms c·g(x − a), type abs, relu, cbrt, cbrt_sq or step, at "
                  "distinct points", required=False),
        ParamSpec("smooth", POLYNOMIAL, "a polynomial in x added to the terms", required=False),
        ParamSpec("pieces", ListOf(POLYNOMIAL, counts=(2, MAX_PIECES), unit="polynomials",
                                   shown="list of expressions"),
                  "the polynomials of a piecewise function", required=False),
        ParamSpec("breaks", Vector(length=lambda params: len(params["pieces"]) - 1),
                  "where the pieces change, ascending", required=False),
    )
    forms = (Form("terms", ("terms", "smooth"), optional=("smooth",)), Form("pieces", ("pieces", "breaks")))
    options = (
        OptionSpec("function", "any", "the kind of function: " + ", ".join(SHAPES),
                   choices=("any",) + SHAPES),
    )
    # The points are a set, listed ascending by convention, and each kind belongs to its point:
    # what is graded is the set of (point, kind) pairs, in any order. The subdifferential is
    # an interval, a set too: its ends low ≤ high name it whichever comes first.
    answers = {
        "points": AnswerSpec("vector", "the points where f is not differentiable, ascending",
                             unordered=True, pairs_with="kinds"),
        "kinds": AnswerSpec("labels", "what happens at each point, in the same order", labels=nd.KINDS,
                            synonyms=SYNONYMS, unordered=True, pairs_with="points"),
        "subgradient": AnswerSpec("vector", "[low, high]: the subdifferential at the ReLU's kink",
                                  unordered=True),
    }

    def answer_names(self, params):
        return ["points", "kinds"] + (["subgradient"] if _is_relu_variant(params) else [])


    catalog = (
        Mistake("corner_called_cusp",
                "a corner is not a cusp: at a corner (like |x| at 0) the one-sided derivatives are "
                "finite but different; at a cusp they are infinite with opposite signs",
                _corner_called_cusp),
        Mistake("vertical_tangent_called_cusp",
                "x^(1/3) has a vertical tangent, not a cusp: its slope tends to +∞ from both sides "
                "(same sign); a cusp like x^(2/3) has slopes of opposite signs",
                _vertical_called_cusp),
        Mistake("missed_continuous_point",
                "you are missing a point where f is continuous but still not differentiable "
                "(a corner, cusp or vertical tangent): continuity is not enough",
                _missed_continuous),
        Mistake("subgradient_by_heart",
                "[0, c] is the subdifferential of c·max(0, x − a) alone: add the slope of the "
                "rest of f at that point to both ends", _subgradient_by_heart),
    )

    def check(self, params):
        if "terms" in params:
            terms = params["terms"]
            if any(c == 0 for _, c, _ in terms):
                raise ParamsError(f"{self.name}: a term's coefficient must not be 0: "
                                  f"{next(t for t in terms if t[1] == 0)!r}")
            if len({Fraction(a) for _, _, a in terms}) != len(terms):
                raise ParamsError(f"{self.name}: the terms must sit at different points ('at' repeats)")
            return params
        breaks = params["breaks"]
        if any(b >= c for b, c in zip(breaks, breaks[1:])):
            raise ParamsError(f"{self.name}: param 'breaks' must be strictly ascending, not {breaks}")
        return params

    # sampling -------------------------------------------------------------------------
    def draw(self, rng: np.random.Generator, *, function: str):
        shape = pick(rng, SHAPES) if function == "any" else function
        if shape == "piecewise":
            return self._draw_pieces(rng)
        spots = [int(v) for v in rng.permutation(np.arange(-3, 4))]
        smooth = {(2,): nice(rng, -1, 1), (1,): nice(rng, -3, 3), (0,): nice(rng, -4, 4)}
        if shape == "relu":
            smooth = {(1,): nice(rng, -2, 2), (0,): nice(rng, -3, 3)}
            terms = [["relu", _whole(nice(rng, 0.5, 3, step=0.5)), spots[0]]]
        else:
            first = {"abs": "abs", "root": pick(rng, ("cbrt", "cbrt_sq")), "step": "step",
                     "mixed": pick(rng, tuple(nd.TERM_KINDS))}[shape]
            count = pick(rng, (1, 2)) if shape != "mixed" else pick(rng, (2, 3))
            kinds = [first] + [pick(rng, tuple(nd.TERM_KINDS)) for _ in range(count - 1)]
            terms = [[kind, _whole(nice(rng, -3, 3, step=0.5, nonzero=True)), spot]
                     for kind, spot in zip(kinds, spots)]
        smooth = {m: c for m, c in smooth.items() if c}
        out = {"terms": terms}
        if smooth:
            out["smooth"] = hs.poly_text(smooth, ["x"])
        return out

    def _draw_pieces(self, rng):
        count = pick(rng, (2, 2, 3))
        breaks = sorted(int(v) for v in rng.permutation(np.arange(-2, 3))[:count - 1])
        piece = {(2,): nice(rng, -1, 1), (1,): nice(rng, -3, 3), (0,): nice(rng, -3, 3)}
        pieces = [piece]
        behaviours = [pick(rng, ("jump", "corner", "corner", "smooth")) for _ in breaks]
        if all(b == "smooth" for b in behaviours):
            raise Reject("every break is smooth")
        for at, behaviour in zip(breaks, behaviours):
            jump = nice(rng, -3, 3, nonzero=True) if behaviour == "jump" else 0
            turn = nice(rng, -3, 3, nonzero=behaviour == "corner") if behaviour != "smooth" else 0
            bend = nice(rng, -1, 1, nonzero=behaviour == "smooth")
            # q(x) = p(x) + jump + turn (x − at) + bend (x − at)²
            change = {(0,): jump - turn * at + bend * at * at, (1,): turn - 2 * bend * at, (2,): bend}
            piece = hs.padd(piece, change)
            pieces.append(piece)
        texts = [hs.poly_text({m: c for m, c in p.items() if c}, ["x"]) for p in pieces]
        return {"pieces": texts, "breaks": breaks}

    def solve(self, params):
        out = _analysis(params)
        if _is_relu_variant(params):
            _, c, a = params["terms"][0]
            out["subgradient"] = nd.relu_subgradient(c, a, _smooth(params))
        return out

    def context(self, params):
        if _shape_terms(params):
            kinds = {kind for kind, _, _ in params["terms"]}
            return {"piecewise": False, "f_latex": _sum_latex(_smooth(params), params["terms"]),
                    "uses_step": "step" in kinds, "uses_root": bool(kinds & {"cbrt", "cbrt_sq"}),
                    "relu": _is_relu_variant(params),
                    "relu_at": number_text(params["terms"][0][2])}
        return {"piecewise": True, "f_latex": _pieces_latex(params), "uses_step": False,
                "uses_root": False, "relu": False, "relu_at": ""}
