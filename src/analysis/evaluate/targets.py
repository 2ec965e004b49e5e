"""Progress against the county's own yearly targets (年度目标), observed and projected, and the large-class ledger.

The targets table (003_1c8462c5537f038e.txt 四 年度目标; the sample county follows its wording) has three kinds of
row:

* a share of schools meeting indicators (``target_share``): compared by step 05 (``targets_comparison``), observed
  for past years and projected for later ones; shown here with the seed's wording;
* a count of schools to open (``target_count``, 新建小学 / 新建初中, scope 城区学校 for "城区新建1所小学"): schools that
  first appear in that year's school table (school_changes: opened) of the matching type; future years are
  "未到" (openings are not projected);
* a wording without a number (2021 "全县基本消除大班额"): the ledger gives that year's oversized classes.

Large-class ledger (大班额台账): every class over its cap (G5) each year, and what became of it the next year
(same school, section, grade and class number): 次年已消除 / 次年仍超额 / 次年无此班; the latest year: 最新年份.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.evaluate import guarantee

LEDGER_COLUMNS = ["year", "indicator", "scope", "wording", "target", "kind", "actual", "low", "high", "status_zh",
                  "note"]
OPENING_TYPES = {"新建小学": ("primary_school",), "新建初中": ("junior_school",)}
CLASS_KEY = ["school_code", "section", "grade", "class_no"]


def large_class_ledger(classes_by_year: dict[int, pd.DataFrame], schools_by_year: dict[int, pd.DataFrame],
                       profile: dict) -> pd.DataFrame:
    """Oversized classes per year with their fate the next year (columns: year, school, class, students, cap, next)."""
    per_year = {}
    for y in sorted(classes_by_year):
        if classes_by_year[y] is None or y not in schools_by_year:
            continue
        per_year[y] = guarantee.class_sizes(classes_by_year[y], schools_by_year[y], profile)
    cols = ["year", "school_code", "school_name", "section", "grade", "class_no", "students", "cap", "next_year"]
    frames = []
    years = sorted(per_year)
    for i, y in enumerate(years):
        over = per_year[y][per_year[y]["oversized"]]
        if i + 1 < len(years):  # the same class (school, section, grade, class number) the next year
            nxt = per_year[years[i + 1]]
            at = pd.MultiIndex.from_frame(nxt[CLASS_KEY]).get_indexer(pd.MultiIndex.from_frame(over[CLASS_KEY]))
            still = nxt["oversized"].to_numpy(dtype=bool)[at]
            fate = np.where(at < 0, "次年无此班", np.where(still, "次年仍超额", "次年已消除"))
        else:
            fate = "最新年份"
        frames.append(over.assign(year=y, next_year=fate)[cols])
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return rows if len(rows) else pd.DataFrame(columns=cols)


def _opened(changes: pd.DataFrame, schools_by_year: dict[int, pd.DataFrame], year: int, types: tuple[str, ...],
            scope: str) -> list[str]:
    opened = changes[changes["status"].isin(["opened", "opened_closed"]) & (changes["first_year"] == year)
                     & changes["school_type"].isin(types)]
    if scope == "城区学校" and year in schools_by_year:
        urban = schools_by_year[year].set_index("school_code")["urban_rural"]
        opened = opened[opened["school_code"].map(urban).eq("urban")]
    return opened["school_name"].astype(str).tolist()


def target_ledger(targets: pd.DataFrame | None, comparison: pd.DataFrame, changes: pd.DataFrame,
                  schools_by_year: dict[int, pd.DataFrame], classes_ledger: pd.DataFrame, base_year: int
                  ) -> pd.DataFrame:
    """Every yearly target with its observed or projected result (columns :data:`LEDGER_COLUMNS`)."""
    if targets is None or targets.empty:
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    first_year = min(schools_by_year) if schools_by_year else base_year
    comp = comparison.set_index(["indicator", "scope", "year"]) if len(comparison) else None
    rows = []
    for r in targets.to_dict("records"):
        scope = r.get("scope") if isinstance(r.get("scope"), str) and r.get("scope") else "全部"
        y = int(r["year"])
        wording = r.get("wording") if isinstance(r.get("wording"), str) else ""
        row = {"year": y, "indicator": r["indicator"], "scope": scope, "wording": wording, "target": "",
               "kind": "", "actual": "", "low": np.nan, "high": np.nan, "status_zh": "", "note": ""}
        share, count = r.get("target_share"), r.get("target_count")
        if pd.notna(share):
            row["target"] = f"≥{float(share):.0%}"
            key = (r["indicator"], scope, y)
            if comp is not None and key in comp.index:
                c = comp.loc[key]
                c = c.iloc[0] if isinstance(c, pd.DataFrame) else c
                row.update(kind={"observed": "实际", "projected": "预测"}.get(c["kind"], ""),
                           actual=f"{c['share']:.1%}" if pd.notna(c["share"]) else "", low=c["low"], high=c["high"],
                           status_zh=c["status_zh"], note=c["note"] if isinstance(c["note"], str) else "")
        elif pd.notna(count) and r["indicator"] in OPENING_TYPES:
            row["target"] = f"{int(count)} 所"
            if y > base_year:
                row.update(kind="未到", status_zh="未到", note="新建学校不作预测")
            elif y < first_year:
                row.update(status_zh="无数据", note=f"学校表从{first_year}年起")
            elif y == first_year:
                row.update(status_zh="无法判断", note="数据首年的学校无法区分新建与原有")
            else:
                names = _opened(changes, schools_by_year, y, OPENING_TYPES[r["indicator"]], scope)
                row.update(kind="实际", actual=f"{len(names)} 所", note="、".join(names),
                           status_zh="已达成" if len(names) >= int(count) else "未达成")
        elif r["indicator"] == "G5":
            part = classes_ledger[classes_ledger["year"] == y]
            if y > base_year:
                row.update(kind="未到", status_zh="未到")
            elif y in set(classes_ledger["year"]) or y in schools_by_year:
                cleared = int((part["next_year"] == "次年已消除").sum())
                row.update(kind="实际", actual=f"大班额 {len(part)} 个", status_zh="见大班额台账",
                           note=f"其中次年已消除 {cleared} 个；文件未给出“基本消除”的数量标准")
        rows.append(row)
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS).sort_values(["year"], kind="stable").reset_index(drop=True)
