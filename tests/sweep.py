"""Seed sweeps in two sizes: the first few seeds in the fast set, every seed marked slow.

``@pytest.mark.parametrize("count", sweep(200))`` runs a test with ``count=20`` (fast) and with
``count=200`` (marked slow, so the full run still checks every seed with the same assertions).
"""

from __future__ import annotations

import pytest

FEW = 20


def sweep(total: int, few: int = FEW) -> list:
    """Parametrize values: ``few`` seeds for the fast set, all ``total`` marked slow."""
    return [pytest.param(few, id=f"{few}-seeds"),
            pytest.param(total, id=f"{total}-seeds", marks=pytest.mark.slow)]
