"""Method settings of the projection (方法参数): defaults, the profile's overrides, the output columns."""

from __future__ import annotations

import pandas as pd

from analysis.data.columns import PLANNED_TEACHER_STOCKS

PROJECTION_COLUMNS = ["level", "school_code", "section", "indicator", "year", "value", "low", "high", "threshold",
                      "status"]
# Method choices (not policy). A profile may override any key under ``projection:``.
METHOD: dict = {
    "min_history_years": 3,      # fewer observed years → no projection
    "trend_window_years": 5,     # trends use the changes within the last 5 observed years
    "replicates": 200,           # bootstrap replicates
    "seed": 20260101,            # fixed → identical bands on every run
    "band": (0.10, 0.90),        # percentiles shown as the band and used for the status
    "shrinkage_students": 60,    # k of the transition-rate shrinkage (pupils)
    "merge_min_share": 0.5,      # a receiving school must gain ≥ 50% of a closed school's pupils to call it a merge
}
TEACHER_FIELDS = PLANNED_TEACHER_STOCKS
SECTIONS = ("primary", "junior")
CHANGE_ZH = {"continuing": "持续办学", "opened": "新开办", "closed": "停办/撤销", "merged": "并入他校",
             "opened_closed": "期间新开办后停办", "intermittent": "部分年份缺报"}


def method_settings(profile: dict) -> dict:
    """:data:`METHOD` with the profile's ``projection:`` overrides."""
    out = dict(METHOD)
    out.update(profile.get("projection") or {})
    return out


def method_table(settings: dict) -> pd.DataFrame:
    """The method settings in Chinese, for the notebook (方法参数)."""
    lo, hi = settings["band"]
    rows = {"最少历史年数": settings["min_history_years"], "趋势窗口（年）": settings["trend_window_years"],
            "模拟次数": settings["replicates"], "随机种子": settings["seed"], "区间分位数": f"{lo:.0%}—{hi:.0%}",
            "升级率收缩系数 k（人）": settings["shrinkage_students"],
            "认定并入的最低学生转移比例": f"{settings['merge_min_share']:.0%}"}
    return pd.DataFrame({"参数": list(rows), "取值": [str(v) for v in rows.values()]})
