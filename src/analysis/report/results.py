"""The processed outputs of one county-year a report reads (评估结果, every dataset optional)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

# Processed outputs the report reads (attribute of Results → catalog dataset); all optional.
RESULT_DATASETS = {
    "school_indicators": "school_indicators",
    "excluded": "excluded_schools",
    "cv": "cv",
    "cv_contributions": "cv_contributions",
    "items": "items",
    "projection": "projection",
    "planning": "planning",
    "validation": "validation",
    "verdict": "verdict",
}

@dataclass
class Results:
    """Processed outputs of one county-year; a missing file is ``None`` (the report says so)."""

    school_indicators: pd.DataFrame | None = None
    excluded: pd.DataFrame | None = None
    cv: pd.DataFrame | None = None
    cv_contributions: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    projection: pd.DataFrame | None = None
    planning: pd.DataFrame | None = None
    validation: pd.DataFrame | None = None
    verdict: dict | None = None

    def missing(self) -> list[str]:
        """Catalog names of the outputs that were not found."""
        return [name for attr, name in RESULT_DATASETS.items() if getattr(self, attr) is None]


def load_optional(load: Callable[[str], Any], name: str) -> Any:
    """Catalog dataset ``name`` through ``load`` (``ctx.load``), or ``None`` when it is absent."""
    try:
        return load(name)
    except FileNotFoundError:
        return None


def load_results(load: Callable[[str], Any]) -> Results:
    """Every processed output of the county-year that exists; ``load(name)`` reads a catalog dataset and gives
    ``None`` when it is absent (the step context's ``ctx.load`` with a fallback)."""
    return Results(**{attr: load_optional(load, name) for attr, name in RESULT_DATASETS.items()})
