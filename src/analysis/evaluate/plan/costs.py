"""Levers and unit costs of the planner (整改措施与单价).

The sample prices live in ``standards/costs/default.yaml`` (each one a documented assumption); a county's own
成本单价 sheet (cleaned ``unit_costs`` table of step 01) replaces them lever by lever. An empty price on the county
sheet means the county does not use that lever: the planner may not use it, and says so when it is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.standards.costs import load_costs

SAMPLE = "示例单价（项目假设）"
COUNTY = "县定单价（成本单价表）"


@dataclass(frozen=True)
class Lever:
    """One kind of action (整改措施): what one unit is and costs, and which rule it serves."""

    id: str
    zh: str
    unit: str
    unit_cost: float | None  # None: not available to the planner
    indicator: str
    source: str
    assumption: str = ""

    @property
    def available(self) -> bool:
        return self.unit_cost is not None


def lever_table(unit_costs: pd.DataFrame | None = None) -> dict[str, Lever]:
    """Every lever with its unit cost: the sample table, overridden by the county's 成本单价 rows."""
    table = load_costs()["levers"]
    out = {k: Lever(k, v["zh"], v["unit"], None if v["unit_cost"] is None else float(v["unit_cost"]),
                    v["indicator"], SAMPLE, v.get("assumption", "")) for k, v in table.items()}
    if unit_costs is None:
        return out
    for r in unit_costs.to_dict("records"):
        base = out[r["lever"]]  # the cleaning step has already refused unknown levers (enum column)
        price = r.get("unit_cost")
        price = None if price is None or pd.isna(price) else float(price)
        note = r.get("note")
        out[base.id] = Lever(base.id, base.zh, base.unit, price, base.indicator, COUNTY,
                             str(note) if isinstance(note, str) and note else
                             f"成本单价表第{r.get('source_row', '?')}行")
    return out


def settings() -> dict:
    """Planner settings of the cost table (e.g. whether new hires count as above-degree teachers)."""
    return load_costs().get("settings", {})


def cost_frame(levers: dict[str, Lever]) -> pd.DataFrame:
    """The cost table as shown in the reports (措施、单位、单价、来源、说明)."""
    return pd.DataFrame([{"lever": v.id, "措施": v.zh, "单位": v.unit,
                          "单价（元）": v.unit_cost, "服务指标": v.indicator, "来源": v.source,
                          "说明": v.assumption if v.available else "本县不采用该措施"} for v in levers.values()])
