"""Social recognition (社会认可度) from the satisfaction survey, with Wilson confidence intervals.

Rule: recognition ≥ 85% (达到85%以上, 000/001/002/004); 003_1c8462c5537f038e.txt writes 高于85% (strict, profile
``recognition.comparator``). Respondents: 学生, 家长, 教师, 校长, 人大代表, 政协委员, 其他群众 (000 附件2).

The seeds give no aggregation formula (standards.md §5). Definition used here:

* a response (问卷) = one respondent's answers; a valid answer = a non-empty answer to one question;
* recognition rate = favourable answers ÷ valid answers, over all questions and respondents (each answer
  weighs the same; no weighting by respondent group). Favourable = ``recognition.favourable`` of the profile
  (非常满意/满意/比较满意/基本满意, or 4–5 on a five-point scale);
* the same rate per respondent group (调查对象);
* a Wilson score interval at ``recognition.confidence``, treating answers as independent. Answers of one
  respondent are correlated, so the interval is somewhat too narrow; the respondent counts are shown beside it.

Warnings (not failures): fewer respondents than ``recognition.min_responses``; a group of ``recognition.groups``
with no response; a respondent type not in that list.
"""

from __future__ import annotations

import math
import unicodedata

import numpy as np
import pandas as pd
from scipy.special import ndtri  # norm.ppf of the standard normal, bit for bit, without loading scipy.stats

from analysis.data.columns import TABLES
from analysis.evaluate.guarantee import item_row, status_of
from analysis.standards.compare import meets
from analysis.standards.status import MISSING

ALL = "全部"


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion: (p̂ + z²/2n ± z√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)."""
    if n <= 0:
        raise ValueError("Wilson interval needs at least one observation")
    if not 0 <= successes <= n:
        raise ValueError(f"successes {successes} must lie between 0 and n = {n}")
    z = float(ndtri(1 - (1 - confidence) / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def normalize_answer(value) -> str:
    """Answer text as compared with the favourable list: NFKC, no spaces, 5.0 → "5"; empty → ""."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).replace(" ", "").strip()


def scored_answers(survey: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Long survey (respondent_id, respondent_type, question, answer) with ``valid`` and ``favourable`` flags."""
    missing = [c for c in ("respondent_id", "respondent_type", "question", "answer") if c not in survey]
    if missing:
        raise ValueError(f"{TABLES['survey'].title}: column(s) {missing} missing (expected the long form)")
    favourable = {normalize_answer(v) for v in profile["recognition"]["favourable"]}
    out = survey[["respondent_id", "respondent_type", "question", "answer"]].copy()
    aliases = profile["recognition"].get("group_aliases") or {}  # e.g. 社区群众 → 其他群众 (the seed's name)
    out["respondent_type"] = out["respondent_type"].map(normalize_answer).replace(aliases)
    out["answer"] = out["answer"].map(normalize_answer)
    out["valid"] = out["answer"] != ""
    out["favourable"] = out["valid"] & out["answer"].isin(favourable)
    return out


def recognition_table(survey: pd.DataFrame, profile: dict) -> pd.DataFrame:
    """Rate overall (全部, first row) and per respondent group: respondents, answers, favourable, rate, CI, pass."""
    cfg = profile["recognition"]
    answers = scored_answers(survey, profile)
    groups = list(cfg["groups"])
    extra = sorted(set(answers["respondent_type"]) - set(groups) - {""})
    rows = []
    for group in [ALL, *groups, *extra]:
        part = answers if group == ALL else answers[answers["respondent_type"] == group]
        n, x = int(part["valid"].sum()), int(part["favourable"].sum())
        respondents = int(part.loc[part["valid"], "respondent_id"].nunique())
        low, high = wilson_interval(x, n, cfg["confidence"]) if n else (np.nan, np.nan)
        rate = x / n if n else np.nan
        warning = ""
        if group == ALL and respondents < cfg["min_responses"]:
            warning = f"有效问卷 {respondents} 份，少于最低样本量 {cfg['min_responses']} 份"
        elif group != ALL and n == 0:
            warning = "缺少该类调查对象"
        elif group in extra:
            warning = "调查对象不在评估口径所列类别中"
        rows.append({"group": group, "respondents": respondents, "answers": n, "favourable": x, "rate": rate,
                     "ci_low": low, "ci_high": high,
                     "passed": bool(meets(rate, cfg["threshold"], cfg["comparator"])) if n else None,
                     "warning": warning})
    out = pd.DataFrame(rows)
    out["passed"] = out["passed"].astype("boolean")
    return out


def recognition_warnings(table: pd.DataFrame) -> list[str]:
    """The warnings of :func:`recognition_table` as sentences (样本量不足, 缺少某类调查对象…)."""
    return [f"{r.group}：{r.warning}" if r.group != ALL else r.warning
            for r in table.itertuples(index=False) if r.warning]


def s1_row(table: pd.DataFrame | None, profile: dict) -> dict:
    """S1 item: overall recognition rate against the threshold, with CI, counts and warnings in the note."""
    cfg = profile["recognition"]
    name = "社会认可度达到85%以上" if cfg["comparator"] == ">=" else "社会认可度高于85%"
    if table is None or table.empty or table.iloc[0]["answers"] == 0:
        return item_row("S1", "recognition", name, unit="比例", threshold=cfg["threshold"], comparator=cfg["comparator"],
                        status=MISSING, kind="computed", note="没有社会认可度调查表")
    overall = table.iloc[0]
    pct = f"{cfg['confidence']:.0%}"
    note = (f"有效问卷 {overall['respondents']} 份、有效回答 {overall['answers']} 个，满意 {overall['favourable']} 个；"
            f"{pct} 置信区间（Wilson）[{overall['ci_low']:.2%}, {overall['ci_high']:.2%}]；"
            f"认可度 = 满意类回答数 ÷ 有效回答数（各题各对象等权）")
    below = table[(table["group"] != ALL) & (table["answers"] > 0) & ~table["passed"].fillna(True).astype(bool)]
    if len(below):
        note += "；低于标准的群体：" + "、".join(f"{r.group} {r.rate:.1%}" for r in below.itertuples(index=False))
    warnings = recognition_warnings(table)
    if warnings:
        note += "；注意：" + "；".join(warnings)
    value = float(overall["rate"])
    return item_row("S1", "recognition", name, value=value, unit="比例", threshold=cfg["threshold"],
                    comparator=cfg["comparator"], status=status_of(meets(value, cfg["threshold"], cfg["comparator"])),
                    evidence=TABLES["survey"].title, kind="computed", note=note)


