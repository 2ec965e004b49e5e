"""Education-quality items Q1–Q9 (教育质量9项) and the between-school difference rate (校际差异率).

Sources: 000_7663589297cde400.txt 附件2（三） ("9项指标均要达到要求"); 002_fec0768d769eda13.txt calls all nine
一票否决 (profile key ``quality_items_are_veto``); 003_1c8462c5537f038e.txt accepts 国家或市级 monitoring
(``monitoring_sources``). Thresholds come from the ``quality:`` section of the standards profile.

Q9 校际差异率 is published by the monitoring centre and taken as given. The seeds do not say how it is computed.
When only scores exist, this module ESTIMATES it as the between-school share of score variance from a one-way
ANOVA of scores on schools (k schools, school j with n_j students, mean m_j, variance s_j², N = Σ n_j):

    SSB = Σ n_j (m_j − m)²            SSW = Σ (n_j − 1) s_j²            (s_j² with ddof 1)
    MSB = SSB / (k − 1)               MSW = SSW / (N − k)               F = MSB / MSW
    n0  = (N − Σ n_j² / N) / (k − 1)  (average school size, corrected for unequal sizes)
    icc1 = (MSB − MSW) / (MSB + (n0 − 1) MSW)      — ANOVA estimate of the between-school variance component
                                                     share σ²_b / (σ²_b + σ²_w) (primary method)
    eta2 = SSB / (SSB + SSW)                       — descriptive share of the sum of squares (alternative)

ICC(1) is the primary definition because a monitoring report's between-school share is a variance-component
share of the tested population (a null two-level model); η² overstates it when few students per school are
tested (E[η²] ≈ ICC + (1 − ICC)(k − 1)/(N − 1)). Both come from the same school means, variances and counts, so
student scores and school aggregates give the same number. The method is a profile key (``Q9.estimate_method``)
and a parameter; the result is labelled an estimate (估算) wherever it is shown. ICC(1) can be negative (no
detectable between-school variance); it is stored as computed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.columns import TABLES
from analysis.evaluate.guarantee import (
    build_area,
    county_item_index,
    evidence_row,
    item_evidence,
    item_number,
    item_row,
    item_yes_no,
    ratio_row,
    require_columns,
    school_rule_row,
    status_of,
)
from analysis.standards.compare import meets
from analysis.standards.status import FAIL, MISSING, PASS

METHODS = ("icc1", "eta2")
SUMMARY_COLUMNS = ["grade", "subject", "school_code", "n", "mean", "variance"]


# ---------------------------------------------------------------------------------------------------------------
# Q1 junior three-year retention (初中三年巩固率), Q2 disabled children enrollment (残疾儿童少年入学率).


def retention_rate(graduates: float, intake: float, transfer_in: float = 0, transfer_out: float = 0,
                   deaths: float = 0) -> float:
    """初中三年巩固率 = 初三在校（毕业）人数 ÷ (三年前初一入学人数 + 转入 − 转出 − 死亡).

    The seeds give no formula (standards.md §4 Q1, external): the cohort base is adjusted for students who moved
    in or out of the county and for deaths, so only drop-outs lower the rate.
    """
    base = intake + transfer_in - transfer_out - deaths
    if base <= 0:
        raise ValueError(f"adjusted cohort base {base:g} must be positive (intake {intake:g}, in {transfer_in:g}, "
                         f"out {transfer_out:g}, deaths {deaths:g})")
    return graduates / base


Q1_PARTS = {"Q1_graduates": "初三在校（毕业）人数", "Q1_intake": "三年前初一入学人数", "Q1_transfer_in": "转入",
            "Q1_transfer_out": "转出", "Q1_deaths": "死亡"}


def q1_row(items: dict[str, dict], profile: dict) -> dict:
    spec = profile["quality"]["Q1"]
    values = {k: item_number(items, k) for k in Q1_PARTS}
    absent = [k for k, v in values.items() if v is None]
    if absent:
        return item_row("Q1", "quality", spec["zh"], unit="比例", threshold=spec["threshold"],
                        comparator=spec["comparator"], status=MISSING, kind="reported",
                        note="县级指标表缺少 " + "、".join(absent) + "（转入、转出、死亡为 0 时请填 0）")
    g, i, t_in, t_out, d = (values[k] for k in Q1_PARTS)
    value = retention_rate(g, i, t_in, t_out, d)
    note = (f"巩固率 = 初三在校（毕业）人数 ÷ (三年前初一入学人数 + 转入 − 转出 − 死亡) = "
            f"{g:g} ÷ ({i:g} + {t_in:g} − {t_out:g} − {d:g}) = {g:g} ÷ {i + t_in - t_out - d:g}")
    return item_row("Q1", "quality", spec["zh"], value=value, unit="比例", threshold=spec["threshold"],
                    comparator=spec["comparator"], status=status_of(meets(value, spec["threshold"], spec["comparator"])),
                    evidence=item_evidence(items, *Q1_PARTS), kind="reported", note=note)


def q2_row(items: dict[str, dict], profile: dict) -> dict:
    spec = profile["quality"]["Q2"]
    return ratio_row(items, "Q2", "Q2_disabled_enrolled", "Q2_disabled_population", "quality", spec["zh"],
                     spec["threshold"], spec["comparator"],
                     formula="残疾儿童少年入学人数（特教学校、随班就读、送教上门）÷ 适龄残疾儿童少年数")


# ---------------------------------------------------------------------------------------------------------------
# Per-school quality items: Q3 charter and digitisation, Q4 training budget, Q6 moral-education rating.


def quality_scope(schools: pd.DataFrame) -> pd.Series:
    """"所有学校": every school with compulsory-stage students (special-education schools included)."""
    return (schools["students_primary"].fillna(0) + schools["students_junior"].fillna(0)) > 0


def _flag(value) -> bool | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return {"true": True, "false": False, "是": True, "否": False}.get(value.strip().lower())
    return bool(value)


def charter_digitised(schools: pd.DataFrame) -> pd.DataFrame:
    """Q3 per school: charter (章程) and digitised management/teaching (管理与教学信息化), both required."""
    part = schools.loc[quality_scope(schools), ["school_code", "school_name", "school_type"]].copy()
    charter = [_flag(v) for v in schools.loc[part.index, "has_charter"]] if "has_charter" in schools else [None] * len(part)
    digital = [_flag(v) for v in schools.loc[part.index, "digitized"]] if "digitized" in schools else [None] * len(part)
    part["has_charter"], part["digitized"] = charter, digital
    status, reason = [], []
    for c, d in zip(charter, digital, strict=True):
        if c is None or d is None:
            status.append(MISSING)
            reason.append("章程或信息化情况未填")
        else:
            status.append(PASS if c and d else FAIL)
            reason.append("；".join([p for p, ok in (("未制定章程", c), ("管理与教学未实现信息化", d)) if not ok]) or "达标")
    part["status"], part["reason"] = status, reason
    part["passed"] = part["status"] == PASS
    return part.reset_index(drop=True)


def training_budget(schools: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Q4 per school: 教师培训经费 ÷ 年度公用经费预算总额 (Anhui: 总额) ≥ 5%."""
    spec = profile["quality"]["Q4"]
    basis = spec["basis"]
    part = schools.loc[quality_scope(schools), ["school_code", "school_name", "school_type"]].copy()
    budget = pd.to_numeric(schools.loc[part.index, "training_budget"], errors="coerce") if "training_budget" in schools \
        else pd.Series(np.nan, index=part.index)
    base = pd.to_numeric(schools.loc[part.index, basis], errors="coerce") if basis in schools \
        else pd.Series(np.nan, index=part.index)
    part["training_budget"], part[basis] = budget, base
    part["share"] = budget / base.where(base > 0)
    status = []
    for s in part["share"]:
        status.append(MISSING if pd.isna(s) else PASS if meets(s, spec["threshold"], spec["comparator"]) else FAIL)
    part["status"] = status
    part["passed"] = part["status"] == PASS
    part["reason"] = [("培训经费或公用经费未填" if pd.isna(s) else f"培训经费占 {s:.2%}") for s in part["share"]]
    return part.reset_index(drop=True)


def moral_rating(schools: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Q6 per school: 德育与校园文化评价 in the profile's ``ok_ratings`` (良好以上)."""
    ok = profile["quality"]["Q6"]["ok_ratings"]
    part = schools.loc[quality_scope(schools), ["school_code", "school_name", "school_type"]].copy()
    ratings = schools.loc[part.index, "moral_rating"] if "moral_rating" in schools else pd.Series(None, index=part.index)
    part["moral_rating"] = ratings.to_numpy()
    part["status"] = [MISSING if not isinstance(r, str) or not r.strip() else PASS if r.strip() in ok else FAIL
                      for r in part["moral_rating"]]
    part["passed"] = part["status"] == PASS
    part["reason"] = [f"评价为“{r}”" if isinstance(r, str) else "评价未填" for r in part["moral_rating"]]
    return part.reset_index(drop=True)


def _per_school_or_item(table: pd.DataFrame, item_id: str, items: dict[str, dict], spec: dict, evidence: str,
                        note: str = "") -> dict:
    """Per-school rule row; when the school table has no data at all, the county's 是/否 item (if any)."""
    if (table.empty or (table["status"] == MISSING).all()) and spec.get("county_item") and \
            item_yes_no(items, spec["county_item"]) is not None:
        return evidence_row(items, item_id, "quality", spec["zh"], county_item=spec["county_item"])
    return school_rule_row(item_id, spec, table, evidence, extra=note)


# ---------------------------------------------------------------------------------------------------------------
# Q9 quality monitoring (质量监测): published results, or an estimate of 校际差异率 from scores.


def school_score_summary(monitoring: pd.DataFrame, variance_ddof: int = 1) -> pd.DataFrame:
    """Per grade, subject and school: n, mean and variance (ddof ``variance_ddof``) of the scores.

    Accepts student rows (``score``) or school aggregates (``mean``, ``variance``, ``n``; the variance is
    taken with ddof ``variance_ddof``). A grade and subject must not mix the two forms.
    """
    require_columns(monitoring, ["school_code", "grade", "subject"], "monitoring")
    frame = monitoring.copy()
    for col in ("score", "mean", "variance", "n"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else np.nan
    student = frame["score"].notna()
    aggregate = frame[["mean", "n"]].notna().all(axis=1) & ~student
    bad = frame[~student & ~aggregate]
    if len(bad):
        rows = bad["source_row"].tolist() if "source_row" in bad else bad.index.tolist()
        raise ValueError(f"{TABLES['monitoring'].title}: rows {rows[:10]} have neither a score (成绩) nor a school "
                         f"mean and count (平均分、人数)")
    keys = ["grade", "subject"]
    forms = frame.assign(_s=student, _a=aggregate).groupby(keys)[["_s", "_a"]].any()
    mixed = forms[forms["_s"] & forms["_a"]].index.tolist()
    if mixed:
        raise ValueError(f"{TABLES['monitoring'].title}: grade/subject {mixed} mixes student scores and school "
                         f"aggregates")
    parts = []
    scores = frame[student]
    if len(scores):
        agg = scores.groupby([*keys, "school_code"], sort=True)["score"].agg(
            n="size", mean="mean", variance=lambda s: s.var(ddof=variance_ddof) if len(s) > variance_ddof else 0.0)
        parts.append(agg.reset_index())
    agg = frame[aggregate]
    if len(agg):
        if agg["variance"].isna().any():
            rows = agg.loc[agg["variance"].isna(), "source_row"].tolist() if "source_row" in agg else []
            raise ValueError(f"{TABLES['monitoring'].title}: school aggregate rows {rows[:10]} lack the variance (方差)")
        parts.append(agg[[*keys, "school_code", "n", "mean", "variance"]])
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SUMMARY_COLUMNS)
    out["n"] = out["n"].astype(float)
    return out[SUMMARY_COLUMNS].sort_values([*keys, "school_code"], kind="stable").reset_index(drop=True)


def anova_components(n: np.ndarray, mean: np.ndarray, variance: np.ndarray, variance_ddof: int = 1) -> dict:
    """One-way ANOVA of scores on schools from school counts, means and variances (see module docstring)."""
    n, mean, variance = (np.asarray(a, dtype=float) for a in (n, mean, variance))
    k, total = len(n), n.sum()
    if k < 2:
        raise ValueError(f"between-school variance needs at least 2 schools (got {k})")
    if total <= k:
        raise ValueError(f"between-school variance needs more students ({total:g}) than schools ({k})")
    grand = (n * mean).sum() / total
    ssb = float((n * (mean - grand) ** 2).sum())
    ssw = float(((n - variance_ddof) * variance).sum())
    msb, msw = ssb / (k - 1), ssw / (total - k)
    n0 = (total - (n**2).sum() / total) / (k - 1)
    icc1 = (msb - msw) / (msb + (n0 - 1) * msw) if msb + (n0 - 1) * msw > 0 else np.nan
    return {"k": k, "N": total, "grand_mean": grand, "ssb": ssb, "ssw": ssw, "msb": msb, "msw": msw,
            "F": msb / msw if msw > 0 else np.inf, "n0": n0, "icc1": icc1, "eta2": ssb / (ssb + ssw)}


def between_school_rates(summary: pd.DataFrame, method: str = "icc1", variance_ddof: int = 1) -> pd.DataFrame:
    """校际差异率（估算）per grade and subject: the ANOVA components, both estimates and ``rate`` = ``method``."""
    if method not in METHODS:
        raise ValueError(f"unknown estimate method {method!r}; expected one of {METHODS}")
    rows = []
    for (grade, subject), part in summary.groupby(["grade", "subject"], sort=True):
        comp = anova_components(part["n"], part["mean"], part["variance"], variance_ddof)
        rows.append({"grade": int(grade), "subject": subject, **comp, "method": method, "rate": comp[method]})
    return pd.DataFrame(rows)


def estimate_comparison(estimates: pd.DataFrame, results: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """Both estimates (ICC(1), η²) beside the published 校际差异率 of the same round, when there is one."""
    out = estimates[["grade", "subject", "k", "N", "F", "icc1", "eta2", "method"]].copy()
    out.insert(0, "year", int(year))
    if results is not None and len(results):
        same = results[results["year"] == year][["grade", "subject", "source", "between_school_diff_rate"]]
        same = same.rename(columns={"between_school_diff_rate": "published_rate"})
        out = out.merge(same, on=["grade", "subject"], how="left")
    else:
        out["source"], out["published_rate"] = None, np.nan
    out["label"] = "估算"
    return out


def accepted_results(results: pd.DataFrame | None, profile: dict, year: int) -> tuple[pd.DataFrame, str]:
    """Published monitoring results that count for Q9: sources in ``monitoring_sources``, latest round ≤ year."""
    if results is None or results.empty:
        return pd.DataFrame(), "没有监测中心发布的质量监测结果"
    sources = profile["monitoring_sources"]
    ok = results[results["source"].isin(sources) & (results["year"] <= year)]
    ignored = sorted(set(results["source"]) - set(sources))
    note = f"{'、'.join(ignored)}监测结果不计入（本口径只认{'或'.join(sources)}监测）" if ignored else ""
    if ok.empty:
        return pd.DataFrame(), note or "没有可用年份的监测结果"
    latest = ok[ok["year"] == ok["year"].max()]
    return latest.sort_values(["grade", "subject"], kind="stable").reset_index(drop=True), note


def q9_rows(results: pd.DataFrame | None, estimates: pd.DataFrame | None, profile: dict, year: int) -> list[dict]:
    """Q9 as two checks: Q9_level (lowest 学业水平 ≥ Ⅲ) and Q9_diff (largest 校际差异率 < 0.15).

    Published results come first. Without them the rate is an estimate from scores (kind ``estimate``) and the
    achievement level — which needs the centre's cut scores — is missing.
    """
    spec = profile["quality"]["Q9"]
    name_level, name_diff = "相关科目学生学业水平达到Ⅲ级以上", "校际差异率低于0.15"
    accepted, note = accepted_results(results, profile, year)
    if len(accepted):
        src = "、".join(sorted(set(accepted["source"])))
        when = int(accepted["year"].iloc[0])
        evidence = f"{TABLES['monitoring_results'].title}：{when}年{src}监测{earlier_folder_note(accepted, year)}"
        levels = "；".join(f"{int(r.grade)}年级{r.subject} {_roman(int(r.achievement_level))}级"
                           for r in accepted.itertuples(index=False))
        rates = "；".join(f"{int(r.grade)}年级{r.subject} {r.between_school_diff_rate:.4f}"
                          for r in accepted.itertuples(index=False))
        level = int(accepted["achievement_level"].min())
        diff = float(accepted["between_school_diff_rate"].max())
        return [
            item_row("Q9_level", "quality", name_level, parent_id="Q9", value=level, unit="级",
                     threshold=spec["level_min"], comparator=spec["level_comparator"],
                     status=status_of(meets(level, spec["level_min"], spec["level_comparator"])),
                     evidence=evidence, kind="published", note="；".join(p for p in ("各科最低等级", levels, note) if p),
                     value_text=f"最低 {_roman(level)} 级"),
            item_row("Q9_diff", "quality", name_diff, parent_id="Q9", value=diff, unit="",
                     threshold=spec["diff_rate_max"], comparator=spec["diff_rate_comparator"],
                     status=status_of(meets(diff, spec["diff_rate_max"], spec["diff_rate_comparator"])),
                     evidence=evidence, kind="published", note="；".join(p for p in ("各科最大值", rates, note) if p),
                     value_text=f"最大 {diff:.4f}"),
        ]
    level = item_row("Q9_level", "quality", name_level, parent_id="Q9", unit="级", threshold=spec["level_min"],
                     comparator=spec["level_comparator"], status=MISSING, kind="published",
                     note="；".join(p for p in (note, "学业水平等级须以监测中心发布结果为准，不能由成绩推算") if p))
    if estimates is None or estimates.empty:
        diff = item_row("Q9_diff", "quality", name_diff, parent_id="Q9", threshold=spec["diff_rate_max"],
                        comparator=spec["diff_rate_comparator"], status=MISSING, kind="published",
                        note="；".join(p for p in (note, "也没有可用于估算的学生成绩") if p))
        return [level, diff]
    rate = float(estimates["rate"].max())
    method = estimates["method"].iloc[0]
    detail = "；".join(f"{int(r.grade)}年级{r.subject} {r.rate:.4f}（{int(r.k)}校{int(r.N)}人）"
                       for r in estimates.itertuples(index=False))
    label = {"icc1": "ICC(1)（方差分析组内相关系数）", "eta2": "η²（校间平方和占比）"}[method]
    diff = item_row("Q9_diff", "quality", f"{name_diff}（估算）", parent_id="Q9", value=rate, unit="",
                    threshold=spec["diff_rate_max"], comparator=spec["diff_rate_comparator"],
                    status=status_of(meets(rate, spec["diff_rate_max"], spec["diff_rate_comparator"])),
                    evidence=f"{TABLES['monitoring'].title}（学生成绩）", kind="estimate",
                    note=f"估算值，非监测中心发布：按{label}估算的校间方差占比，最大值；{detail}",
                    value_text=f"估算 {rate:.4f}")
    return [level, diff]


EARLIER_FOLDER = "取自{year}年文件夹"  # the phrase that cites an earlier year folder (searched by the summary)


def earlier_folder_note(accepted: pd.DataFrame, year: int) -> str:
    """"（取自2024年文件夹）" when the accepted round was handed in with an earlier year folder, else ""."""
    if "folder_year" not in accepted or accepted["folder_year"].isna().all():
        return ""
    folder = int(accepted["folder_year"].max())
    return f"（{EARLIER_FOLDER.format(year=folder)}）" if folder < int(year) else ""


def _roman(level: int) -> str:
    return {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}.get(level, str(level))


def monitoring_inputs(results_by_year: dict[int, pd.DataFrame],
                      scores_by_year: dict[int, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Published monitoring results of every year up to this one (deduplicated) and the latest year's scores.

    Monitoring rounds come every few years, so the latest published round up to the evaluation year counts.
    Returns ``(results, scores)``; ``results`` has a ``folder_year`` column (the year folder that handed the round
    in, cited when it is not the evaluation year's), ``scores`` a ``year`` column (the statistical year it was
    handed in).
    """
    results = [results_by_year[y].assign(folder_year=int(y)) for y in sorted(results_by_year)]
    scores = None
    for y in sorted(scores_by_year):
        if len(scores_by_year[y]):
            scores = scores_by_year[y].assign(year=y)
    cols = ["source", "year", "grade", "subject", "achievement_level", "between_school_diff_rate", "folder_year"]
    res_frame = pd.concat(results, ignore_index=True) if results else pd.DataFrame(columns=cols)
    res_frame = res_frame[cols].drop_duplicates(["source", "year", "grade", "subject"], keep="last")
    return res_frame.reset_index(drop=True), scores if scores is not None else pd.DataFrame()


# ---------------------------------------------------------------------------------------------------------------
# All quality items.


def quality_items(schools: pd.DataFrame, county_items: pd.DataFrame | None, results: pd.DataFrame | None,
                  estimates: pd.DataFrame | None, profile: dict, year: int) -> pd.DataFrame:
    """All Q1–Q9 rows (one per check) in item order."""
    items = county_item_index(county_items)
    q = profile["quality"]
    basis_zh = {"public_funds_budget": "年度公用经费预算总额", "public_funds_total": "年度公用经费总额"}
    builders = {
        "Q1": lambda: [q1_row(items, profile)],
        "Q2": lambda: [q2_row(items, profile)],
        "Q3": lambda: [_per_school_or_item(charter_digitised(schools), "Q3", items, q["Q3"],
                                           f"{TABLES['schools'].title}是否制定章程、管理与教学信息化")],
        "Q4": lambda: [_per_school_or_item(training_budget(schools, profile), "Q4", items, q["Q4"],
                                           f"{TABLES['schools'].title}教师培训经费、" + basis_zh.get(q["Q4"]["basis"], q["Q4"]["basis"]),
                                           note=f"培训经费 ÷ {basis_zh.get(q['Q4']['basis'], q['Q4']['basis'])} ≥ "
                                                f"{q['Q4']['threshold']:.0%}")],
        "Q5": lambda: [evidence_row(items, "Q5", "quality", q["Q5"]["zh"])],
        "Q6": lambda: [_per_school_or_item(moral_rating(schools, profile), "Q6", items, q["Q6"],
                                           f"{TABLES['schools'].title}德育与校园文化评价",
                                           note="良好以上：" + "、".join(q["Q6"]["ok_ratings"]))],
        "Q7": lambda: [evidence_row(items, "Q7", "quality", q["Q7"]["zh"])],
        "Q8": lambda: [evidence_row(items, "Q8", "quality", q["Q8"]["zh"])],
        "Q9": lambda: q9_rows(results, estimates, profile, year),
    }
    return build_area(q, builders, "quality", profile)
