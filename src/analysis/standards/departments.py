"""Responsible departments (责任单位) of an indicator or item, from the profile's ``departments:`` section.

The only reader of that section. Shipped profiles list the units per item in the seed's own order
(000_7663589297cde400.txt 附件2, 区→县: ``R4: [县发展改革委, 县教委, ...]``) with two section keys: ``role_zh`` (the
seed's word for the column: 责任单位 / 责任部门 / 责任科室) and ``lead_unit`` (the unit the seed calls 牵头, or null
when it names none). Roles only as the seed states them: a named lead leads and the other units of the item
cooperate; without one every unit is simply responsible, and none is called 牵头. A table without ``lead_unit``
(older county files) keeps the first-listed-leads reading. A county profile may also write
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


def role_zh(profile: Mapping) -> str:
    """The seed's word for a responsible unit (``departments.role_zh``: 责任单位 / 责任部门 / 责任科室)."""
    return str((profile.get("departments") or {}).get("role_zh") or "责任单位")


def department_roles(profile: Mapping, item: str) -> dict[str, Any]:
    """``{"responsible": [...seed order], "lead": [...], "cooperate": [...], "role_zh": str}`` of ``item``.

    ``responsible`` is every unit the profile names for the item, first-named first; ``lead`` / ``cooperate`` are
    filled only where the seed states a lead (``lead_unit``, or an explicit ``{lead, cooperating}`` entry).
    """
    section = profile.get("departments") or {}
    spec = section.get(item)
    word = role_zh(profile)
    if isinstance(spec, Mapping):
        lead = unit_names(_first(spec, _LEAD_KEYS))
        coop = [c for c in unit_names(_first(spec, _COOPERATING_KEYS)) if c not in lead]
        return {"responsible": lead + coop, "lead": lead, "cooperate": coop, "role_zh": word}
    units = unit_names(spec)
    if "lead_unit" not in section:  # a table without stated roles: the first-listed unit leads
        return {"responsible": units, "lead": units[:1], "cooperate": units[1:], "role_zh": word}
    named = section["lead_unit"]
    lead = [named] if named and named in units else []
    return {"responsible": units, "lead": lead, "cooperate": [u for u in units if u not in lead] if lead else [],
            "role_zh": word}


def departments(profile: Mapping, item: str) -> tuple[list[str], list[str]]:
    """``(lead, cooperating)`` units of ``item`` (牵头单位, 配合单位); both empty when the profile lists none or the
    seed names no lead (then :func:`department_roles` ``responsible`` has the units)."""
    roles = department_roles(profile, item)
    return roles["lead"], roles["cooperate"]


def departments_note(profile: Mapping, item: str) -> str:
    """What the reader must know about ``item``'s units: that the profile lists none, or the entry's ``note``."""
    section = profile.get("departments")
    if not section:
        return "标准配置未列出责任部门（departments），请按本县实施方案补充"
    spec = section.get(item)
    if spec is None:
        return f"标准配置未列出{item}的责任部门"
    if isinstance(spec, Mapping):
        return str(spec.get("note") or "")
    roles = department_roles(profile, item)
    if roles["responsible"] and not roles["lead"]:  # the seed names no lead: say so, list every unit
        return f"{roles['role_zh']}：{'、'.join(roles['responsible'])}（文件未指定牵头单位）"
    return ""


def departments_source(profile: Mapping) -> str:
    """The document the profile's units come from (``departments.source``)."""
    return str((profile.get("departments") or {}).get("source", ""))
