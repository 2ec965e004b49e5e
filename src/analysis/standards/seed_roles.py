"""Roles of the responsible units as each seed states them (责任单位、牵头、配合).

A profile's ``departments`` section lists, per item, the units in the seed's own order, with ``role_zh`` (the
seed's word for the column: 责任单位 / 责任部门 / 责任科室) and ``lead_unit`` (the unit the seed calls 牵头, or
null when it names none). Only a named lead is called 牵头 and then the other units 配合; otherwise every unit is
simply responsible. The first-named unit stays first in ``responsible``.
"""

from __future__ import annotations

from typing import Any


def department_roles(profile: dict, item_id: str) -> dict[str, Any]:
    """``{"responsible": [...seed order], "lead": [...], "cooperate": [...], "role_zh": str}`` for an item."""
    deps = profile.get("departments") or {}
    spec = deps.get(item_id) or []
    if isinstance(spec, dict):  # an explicit {lead, cooperating} entry (tests and county files use it)
        lead = list(spec.get("lead") if isinstance(spec.get("lead"), list) else [spec["lead"]] if spec.get("lead")
                    else [])
        coop = [c for c in spec.get("cooperating", []) if c not in lead]
        return {"responsible": lead + coop, "lead": lead, "cooperate": coop, "role_zh": deps.get("role_zh", "责任单位")}
    units = [spec] if isinstance(spec, str) else list(spec)
    if "lead_unit" not in deps:  # a hand-made table without roles (older county files): first listed leads
        return {"responsible": units, "lead": units[:1], "cooperate": units[1:], "role_zh": deps.get("role_zh", "责任单位")}
    lead_unit = deps["lead_unit"]
    lead = [lead_unit] if lead_unit and lead_unit in units else []
    coop = [u for u in units if u not in lead] if lead else []
    return {"responsible": units, "lead": lead, "cooperate": coop, "role_zh": deps.get("role_zh", "责任单位")}
