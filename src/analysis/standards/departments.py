"""Responsible departments (责任单位) of an indicator or item, from the profile's ``departments:`` section.

The only reader of that section. Shipped profiles list the units per item with the lead first
(000_7663589297cde400.txt 附件2, 区→县: ``R1: [县教委, 县人力社保局]``); a county profile may also write
``{lead: ..., cooperating: [...]}`` (or 牵头/配合) or one string ``"a、b"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from analysis.standards.status import is_missing

_LEAD_KEYS = ("lead", "lead_department", "牵头")
_COOPERATING_KEYS = ("cooperating", "cooperating_departments", "配合")


def unit_names(value: Any) -> list[str]:
    """Unit names in a value: a list, a mapping with ``zh``/``name``, or one string such as ``"a、b"``."""
    if is_missing(value) or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[、,，;；/]", value) if v.strip()]
    if isinstance(value, Mapping):
        return unit_names(value.get("zh") or value.get("name"))
    if isinstance(value, Iterable):
        return [n for v in value for n in unit_names(v)]
    return [str(value)]


def _first(spec: Mapping, keys: tuple[str, ...]) -> Any:
    return next((spec[k] for k in keys if spec.get(k)), None)


def departments(profile: Mapping, item: str) -> tuple[list[str], list[str]]:
    """``(lead, cooperating)`` units of ``item`` (牵头单位, 配合单位); both empty when the profile lists none."""
    spec = (profile.get("departments") or {}).get(item)
    if spec is None:
        return [], []
    if isinstance(spec, Mapping):
        lead = unit_names(_first(spec, _LEAD_KEYS))
        return lead, [c for c in unit_names(_first(spec, _COOPERATING_KEYS)) if c not in lead]
    names = unit_names(spec)
    return names[:1], names[1:]


def departments_note(profile: Mapping, item: str) -> str:
    """What the reader must know about ``item``'s units: that the profile lists none, or the entry's ``note``."""
    section = profile.get("departments")
    if not section:
        return "标准配置未列出责任部门（departments），请按本县实施方案补充"
    spec = section.get(item)
    if spec is None:
        return f"标准配置未列出{item}的责任部门"
    return str(spec.get("note") or "") if isinstance(spec, Mapping) else ""


def departments_source(profile: Mapping) -> str:
    """The document the profile's units come from (``departments.source``)."""
    return str((profile.get("departments") or {}).get("source", ""))
