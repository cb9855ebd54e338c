"""Answer kinds: how an answer is declared, read, checked, scored and diagnosed (DESIGN §5).

>>> AnswerSpec("vector", "the gradient").to_json()["kind"]
'vector'
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

ANSWER_KINDS = ("scalar", "vector", "matrix", "expression", "label", "labels", "iterates", "function")


@dataclass(frozen=True)
class AnswerSpec:
    """How one answer is compared: its kind, tolerance and, for labels, the accepted set.

    Scalars (and each entry of vectors, matrices and iterates) match when
    ``|s - r| <= atol + rtol * |r|``. ``unordered`` says the order of a vector's or a
    labels list's entries carries no meaning (eigenvalues, a set of critical points);
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
        return out
