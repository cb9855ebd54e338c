"""Canonical JSON: sorted keys, shortest round-trip floats, no nan, numpy types converted.

The same data always gives the same bytes.

>>> import numpy as np
>>> dumps({"b": np.float64(0.1), "a": [np.int64(1), -0.0]})
'{"a": [1, 0.0], "b": 0.1}'
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """Convert numpy scalars and arrays, tuples and -0.0 to plain JSON data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written as JSON")
        return 0.0 if value == 0 else value
    return value


def dumps(value: Any, *, compact: bool = False, indent: int | None = None) -> str:
    """Canonical JSON text for ``value``."""
    separators = (",", ":") if compact else None
    return json.dumps(plain(value), sort_keys=True, ensure_ascii=False, allow_nan=False,
                      separators=separators, indent=indent)
