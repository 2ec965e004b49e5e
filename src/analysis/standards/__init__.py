"""Evaluation standards as data (评估标准). ``load_profile`` reads a YAML profile and the profiles it extends.

A profile names a parent with ``extends:``; its keys replace the parent's recursively (mappings are merged,
everything else replaced). No threshold is written in code: every number comes from these files.
"""

from __future__ import annotations

import copy
import operator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

STANDARDS_DIR = Path(__file__).parent

# The comparators the documents use (standards.md §0): 以上/不低于 ≥, 高于 >, 不超过/不大于 ≤, 低于/小于 <.
COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def available_profiles() -> list[str]:
    """Names of the shipped profiles (file stems of ``standards/*.yaml``)."""
    return sorted(p.stem for p in STANDARDS_DIR.glob("*.yaml"))


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@cache
def _load(name: str) -> dict[str, Any]:
    path = STANDARDS_DIR / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"unknown standards profile {name!r}; available: {', '.join(available_profiles())}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    parent = data.pop("extends", None)
    if parent:
        data = _merge(_load(parent), data)
    data["name"] = name
    return data


def load_profile(name: str = "national") -> dict[str, Any]:
    """The merged standards profile ``name`` (a fresh copy the caller may modify)."""
    return copy.deepcopy(_load(name))


def resource_threshold(profile: dict, indicator: str, section: str) -> float:
    """Standard value of a resource indicator (R1–R7 or an extra one) for a section."""
    spec = profile["resources"].get(indicator) or profile["extra_resources"][indicator]
    return float(spec[section])
