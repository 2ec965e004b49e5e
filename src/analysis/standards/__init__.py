"""Evaluation standards as data (评估标准). ``load_profile`` reads a YAML profile and the profiles it extends.

A profile names a parent with ``extends:``; its keys replace the parent's recursively (mappings are merged,
everything else replaced). No threshold is written in code: every number comes from these files. The ``source``
and ``title`` texts cite seed documents by file name or short form (``000 附件2``); a loaded profile cites them by
title (:func:`analysis.standards.sources.cite`), so no report shows a seed's file name.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from analysis.standards.sources import cite_fields

STANDARDS_DIR = Path(__file__).parent



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


class ProfileError(ValueError):
    """A standards profile that is not one of the project's (or not a readable YAML mapping)."""


def check_profile_name(name: str) -> str:
    """``name`` must be one of the shipped profiles: a name is never a path (``../../tmp/x`` is refused)."""
    if name not in available_profiles():
        raise ProfileError(f"未知的评估口径 {name!r}；可选：{'、'.join(available_profiles())}")
    return name


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}：不是有效的 YAML（{exc}）") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}：评估口径应为 YAML 映射")
    return data


@cache
def _load(name: str) -> dict[str, Any]:
    data = _read_yaml(STANDARDS_DIR / f"{check_profile_name(name)}.yaml")
    parent = data.pop("extends", None)
    if parent:
        data = _merge(_load(parent), data)
    data["name"] = name
    return cite_fields(data)


def load_profile(name: str = "national") -> dict[str, Any]:
    """The merged standards profile ``name`` (a fresh copy the caller may modify)."""
    return copy.deepcopy(_load(name))


def profile_from_file(path: Path, label: str) -> dict[str, Any]:
    """A county's own profile file (it must ``extends:`` a shipped profile); ``label`` says so in every report."""
    data = _read_yaml(Path(path))
    parent = data.pop("extends", None)
    if not parent:
        raise ProfileError(f"{path}：县自定口径必须写明 extends（继承的项目口径，如 national）")
    merged = _merge(_load(check_profile_name(str(parent))), data)
    merged["name"] = f"file:{Path(path).name}"
    merged["title"] = f"{merged.get('title', '')}（{label}）"
    return cite_fields(merged)


def resource_threshold(profile: dict, indicator: str, section: str) -> float:
    """Standard value of a resource indicator (R1–R7 or an extra one) for a section."""
    spec = profile["resources"].get(indicator) or profile["extra_resources"][indicator]
    return float(spec[section])
