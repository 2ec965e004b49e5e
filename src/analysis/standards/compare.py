"""How a value is compared with a standard (与标准比较): one tolerance, one vectorised ``meets``.

Every test "does this value meet that threshold" in the package goes through :func:`meets` (or its
complement :func:`falls_short`), for a single number as for a numpy array or a pandas Series.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
import pandas as pd

# The comparators the documents use (standards.md §0): 以上/不低于 ≥, 高于 >, 不超过/不大于 ≤, 低于/小于 <.
COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
# Item rows may also compare a yes/no answer or a count for equality.
EQUALITY = ("=", "==")

# Binary floating point can put an exact quotient such as 21×100/500 a hair off 4.2; this relative tolerance
# only absorbs that representation error (1e-9 is far below any published precision). It is not rounding.
REL_TOL = 1e-9


def meets(value: Any, threshold: Any, comparator: str, rel_tol: Any = REL_TOL) -> Any:
    """``value <comparator> threshold`` as the standards word it (以上 ≥, 不超过 ≤, 低于 <, 高于 >).

    ``>=`` and ``<=`` allow ``|threshold| × rel_tol`` (``rel_tol`` may be an array, one per value); strict
    comparators allow none, so an exact tie fails ``<`` and ``>``; ``=`` is ``numpy.isclose``. A missing value
    or threshold (NaN) never meets. Scalars give a ``bool``, a Series a Series on its index, else an array.
    """
    if comparator not in COMPARATORS and comparator not in EQUALITY:
        raise ValueError(f"未知的比较符 {comparator!r}；可用：{[*COMPARATORS, *EQUALITY]}")
    v = np.asarray(value, dtype=float)
    t = np.asarray(threshold, dtype=float)
    if comparator == ">=":
        out = v >= t - np.abs(t) * rel_tol
    elif comparator == "<=":
        out = v <= t + np.abs(t) * rel_tol
    elif comparator in EQUALITY:
        out = np.isclose(v, t)
    else:
        out = COMPARATORS[comparator](v, t)
    return _shaped(out, value)


def falls_short(value: Any, threshold: Any, comparator: str, rel_tol: Any = REL_TOL) -> Any:
    """Known not to meet (未达到): value and threshold present and ``meets`` false. NaN is never short."""
    v = np.asarray(value, dtype=float)
    t = np.asarray(threshold, dtype=float)
    out = ~np.isnan(v) & ~np.isnan(t) & ~np.asarray(meets(v, t, comparator, rel_tol))
    return _shaped(out, value)


def _shaped(out: np.ndarray, like: Any) -> Any:
    if isinstance(like, pd.Series):
        return pd.Series(out, index=like.index)
    return bool(out) if np.ndim(out) == 0 else out
