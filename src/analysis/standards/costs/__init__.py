"""Unit costs of the planner's levers (整改措施单价): ``default.yaml`` here, every value a documented assumption.

Kept beside the profiles but not a profile (a profile is ``standards/*.yaml``); read with :func:`load_costs`.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

COSTS_FILE = Path(__file__).parent / "default.yaml"


@cache
def _load() -> dict[str, Any]:
    return yaml.safe_load(COSTS_FILE.read_text(encoding="utf-8"))


def load_costs() -> dict[str, Any]:
    """The sample cost table: ``{"levers": {id: {zh, unit, unit_cost, indicator, assumption}}, "settings": ...}``."""
    return copy.deepcopy(_load())
