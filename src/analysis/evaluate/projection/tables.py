"""Tables and labels for the notebook (表格与标签): enrollment, school status per milestone, chart labels."""

from __future__ import annotations

import pandas as pd

from analysis.config import SECTION_ZH
from analysis.evaluate.indicators import STUDENT_COLUMNS, indicator_ids, indicator_spec
from analysis.evaluate.projection.history import History, item_panel
from analysis.evaluate.projection.scenario import Projection
from analysis.standards.status import (
    PROJECTION_SEVERITY,
)


def enrollment_table(result: Projection, history: History) -> pd.DataFrame:
    """Students per school and section: the base year and every projected year (central), with the method."""
    if result.enrollment is None:
        return pd.DataFrame()
    frame = result.enrollment.central_frame("students")
    wide = frame.pivot_table(index=["school_code", "section", "method"], columns="year", values="students",
                             sort=False).reset_index()
    base = history.schools[result.base_year].set_index("school_code")
    wide.insert(1, "school_name", wide["school_code"].map(base["school_name"]))
    wide.insert(4, result.base_year, [float(base.loc[c, STUDENT_COLUMNS[s]]) for c, s in
                                      zip(wide["school_code"], wide["section"], strict=True)])
    wide["change"] = wide[result.years[-1]] - wide[result.base_year]
    wide.columns = [str(c) for c in wide.columns]
    return wide.sort_values("change", key=abs, ascending=False, kind="stable").reset_index(drop=True)


def school_status_table(status: pd.DataFrame) -> pd.DataFrame:
    """School-sections whose 6-of-7 status is not on track at some milestone (one row each, worst first)."""
    part = status[(status["level"] == "school") & (status["indicator"] == "school_pass")]
    if part.empty:
        return pd.DataFrame()
    wide = part.pivot_table(index=["school_code", "school_name", "section"], columns="milestone_year",
                            values="status_zh", aggfunc="first", sort=False)
    wide.columns = [f"{c}年" for c in wide.columns]
    worst = part.groupby(["school_code", "school_name", "section"], sort=False)["status"].agg(
        lambda s: max(s.map(PROJECTION_SEVERITY)))
    wide = wide.join(worst.rename("_worst"))
    wide = wide[wide["_worst"] > 0].sort_values("_worst", ascending=False, kind="stable").drop(columns="_worst")
    out = wide.reset_index().fillna("当年不参评")  # e.g. a teaching point projected below 50 pupils
    out["section"] = out["section"].map(SECTION_ZH)
    return out.rename(columns={"school_code": "学校标识码", "school_name": "学校", "section": "学段"})




def indicator_labels(profile: dict) -> dict[str, str]:
    """Short Chinese chart labels for the indicator names of projection rows."""
    out = {"school_pass_share": "“6+1”达标学校比例（%）", "students": "在校生数", "n_schools": "参评学校数",
           "G3_share": "G3音乐美术专用教室 达标学校比例（%）", "G4_share": "G4学校规模 达标学校比例（%）",
           "G5_share": "G5班额 达标学校比例（%）"}
    for i in indicator_ids(profile):
        short = indicator_spec(profile, i)["short"]
        out.update({i: f"{i}{short}", f"{i}_cv": f"{i}{short} 差异系数", f"{i}_share": f"{i}{short} 达标比例（%）"})
    return out


def item_labels(history: History, width: int = 12) -> dict[str, str]:
    """``item_id`` → "id short Chinese name" for chart titles (names from ``items.csv``, cut at ``width``)."""
    panel = item_panel(history.items).drop_duplicates("item_id", keep="last")
    return {i: f"{i} {str(n)[:width]}{'…' if len(str(n)) > width else ''}"
            for i, n in zip(panel["item_id"], panel["name_zh"].fillna(""), strict=True)}
