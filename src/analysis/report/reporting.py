"""Reports for leadership and auditors (评估报告): leader summary, audit report and the index page.

Three layers:

1. :func:`load_results` reads the processed outputs of one county-year (every file optional).
2. Pure fragment builders (DataFrames in, HTML strings out) used by ``notebooks/07_report.ipynb``: verdict
   banner, indicator/CV table with traffic lights (交通灯), failing schools and items with the responsible
   departments, milestone projection, "what to do first" (优先行动). Every text value is HTML-escaped; every
   number links to the place in ``audit.html`` where it is computed (``audit.html#out-<file>``).
3. :func:`render_reports` (called by ``analysis.pipeline`` after all notebooks ran) turns the executed
   notebooks into ``summary.html`` (no code) and ``audit.html`` (all code, inputs with hashes, anchors), and
   :func:`write_index` lists every county-year. Both are self-contained: CSS, charts, formulas and a subset of
   the CJK font are inlined; no URL is referenced, so they open offline and print to A4.

Identical inputs give identical HTML except the run's time stamp: cell ids are positional, pandas Styler's
random table ids are renumbered, the run's folders are shown at their standard place in the project
(data/processed/<县>/<年> …), PNG/SVG carry no time stamp, the font subset always holds printable ASCII.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import config
from analysis.config import SECTION_ZH
from analysis.data import catalog
from analysis.data import files as aio
from analysis.evaluate.indicators import REL_TOL

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "county_report"
TEMPLATE_FILE = "report.html.j2"
SUMMARY_FILE = catalog.SUMMARY_FILE
AUDIT_FILE = catalog.AUDIT_FILE
INDEX_FILE = catalog.INDEX_FILE
MANIFEST_FILE = catalog.MANIFEST_FILE
RESULTS_XLSX = catalog.dataset("results").file
FONT_FAMILY = "CJK Report"
_FONT_PLACEHOLDER = "/*@font-face: filled in by analysis.reporting*/"

# Processed outputs the report reads (attribute of Results → catalog dataset); all optional.
RESULT_DATASETS = {
    "school_indicators": "school_indicators",
    "excluded": "excluded_schools",
    "cv": "cv",
    "cv_contributions": "cv_contributions",
    "items": "items",
    "projection": "projection",
    "planning": "planning",
    "validation": "validation",
    "verdict": "verdict",
}

STATUSES = ("pass", "at_risk", "fail", "unknown")
STATUS_ZH = {"pass": "达标", "at_risk": "有风险", "fail": "未达标", "unknown": "无数据"}
VERDICT_ZH = {"pass": "达到优质均衡", "at_risk": "当前达标，后续有风险", "fail": "未达到优质均衡",
              "unknown": "暂无结论"}
_STATUS_WORDS = {
    "pass": {"pass", "passed", "ok", "met", "on_track", "true", "yes", "达标", "通过", "合格", "预计达标", "是", "1",
             "1.0"},
    "at_risk": {"at_risk", "at risk", "risk", "warning", "borderline", "有风险", "存在风险", "风险", "待核实",
                "临界"},
    "fail": {"fail", "failed", "not_met", "off_track", "false", "no", "veto", "未达标", "不达标", "不合格",
             "预计不达标", "否", "0", "0.0"},
}
AREA_ZH = {
    "resources": "资源配置", "guarantee": "政府保障程度", "government": "政府保障程度", "quality": "教育质量",
    "recognition": "社会认可度", "veto": "不予认定（一票否决）事项",
}
URBAN_RURAL_ZH = {"urban": "城区", "town": "镇区", "rural": "乡村"}
COMPARATOR_ZH = {">=": "≥", ">": "＞", "<=": "≤", "<": "＜", "==": "=", "=": "="}


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------
@dataclass
class Results:
    """Processed outputs of one county-year; a missing file is ``None`` (the report says so)."""

    school_indicators: pd.DataFrame | None = None
    excluded: pd.DataFrame | None = None
    cv: pd.DataFrame | None = None
    cv_contributions: pd.DataFrame | None = None
    items: pd.DataFrame | None = None
    projection: pd.DataFrame | None = None
    planning: pd.DataFrame | None = None
    validation: pd.DataFrame | None = None
    verdict: dict | None = None

    def missing(self) -> list[str]:
        """Catalog names of the outputs that were not found."""
        return [name for attr, name in RESULT_DATASETS.items() if getattr(self, attr) is None]


def load_results(load: Callable[[str], Any]) -> Results:
    """Every processed output of the county-year that exists; ``load(name)`` reads a catalog dataset and gives
    ``None`` when it is absent (the step context's ``ctx.load`` with a fallback)."""
    def optional(name: str) -> Any:
        try:
            return load(name)
        except FileNotFoundError:
            return None

    return Results(**{attr: optional(name) for attr, name in RESULT_DATASETS.items()})


# ---------------------------------------------------------------------------------------------------------
# Small formatting helpers (display only: stored values are never rounded)
# ---------------------------------------------------------------------------------------------------------
def esc(value: Any) -> str:
    """HTML-escape any value for text and attributes; missing → empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _is_missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fmt_number(value: Any, digits: int = 2, percent: bool = False) -> str:
    """Fixed decimals with thousands separators (``—`` when missing); ``percent`` multiplies by 100."""
    if _is_missing(value):
        return "—"
    x = _as_float(value)
    if x is None:
        return esc(value)
    if percent:
        return f"{x * 100:,.{digits}f}%"
    return f"{x:,.{digits}f}"


def fmt_value(value: Any, threshold: Any = None) -> str:
    """An item's value as given: numbers shown as percentages when the standard is a rate (0 < t ≤ 1)."""
    if _is_missing(value):
        return "—"
    x = _as_float(value)
    if x is None:
        return esc(value)
    t = _as_float(threshold)
    if t is not None and 0 < t <= 1 and 0 <= x <= 1.5:
        return f"{x * 100:.1f}%"
    return f"{x:,.0f}" if abs(x) >= 100 and float(x).is_integer() else f"{x:,.4g}"


def fmt_standard(value: Any) -> str:
    """A standard as written in the documents: 4.2, 1, 2,000."""
    if _is_missing(value):
        return "—"
    x = float(value)
    return f"{x:,.0f}" if x.is_integer() else f"{x:g}"


def audit_anchor(dataset: str) -> str:
    """Anchor id in audit.html of the cell that saves catalog dataset ``dataset`` (e.g. ``out-cv``)."""
    return f"out-{dataset}"


def num_link(text: str, dataset: str, audit: str = AUDIT_FILE) -> str:
    """A number linked to the cell that computed it in the audit report (``text`` is already escaped)."""
    return f'<a class="num" href="{esc(audit)}#{esc(audit_anchor(dataset))}">{text}</a>'


def normalise_status(value: Any) -> str:
    """``pass`` / ``at_risk`` / ``fail`` / ``unknown`` from booleans or English/Chinese status words."""
    if _is_missing(value):
        return "unknown"
    if isinstance(value, bool | np.bool_):
        return "pass" if value else "fail"
    word = str(value).strip().lower()
    for status, words in _STATUS_WORDS.items():
        if word in words:
            return status
    return "unknown"


def worst_status(statuses: Iterable[str]) -> str:
    """The worst of several statuses (fail > at_risk > unknown > pass); ``unknown`` when empty."""
    order = {"fail": 3, "at_risk": 2, "unknown": 1, "pass": 0}
    values = [normalise_status(s) if s not in order else s for s in statuses]
    return max(values, key=order.get) if values else "unknown"


def light(status: Any, label: str | None = None) -> str:
    """Traffic light (交通灯) with its Chinese label, so it also reads in black-and-white print."""
    s = normalise_status(status) if status not in STATUSES else status
    text = esc(label) if label is not None else STATUS_ZH[s]
    return f'<span class="status {s}"><span class="light {s}"></span>{text}</span>'


def _wrap(body: str) -> str:
    return f'<div class="rpt">{body}</div>'


def _missing(datasets: str, what: str) -> str:
    """A notice that step outputs are absent, named by their Chinese titles (``datasets``: catalog names)."""
    titles = "、".join(catalog.dataset(d).title_zh for d in datasets.split())
    return _wrap(f'<p class="missing">未找到{esc(titles)}：{esc(what)}</p>')


def style_block() -> str:
    """``<style>`` for the fragments; displayed once at the top of the report notebook."""
    return f"<style>\n{_template_text('fragments.css')}</style>"


def legend() -> str:
    """Legend of the traffic lights (图例) and a hint that numbers link to the audit report."""
    lights = "".join(light(s) for s in STATUSES)
    return _wrap(f'<p class="legend">图例：{lights}表中数字可点击，跳转到审计报告中的计算过程。</p>')


@cache
def _template_text(name: str) -> str:
    return (TEMPLATE_DIR / TEMPLATE_NAME / name).read_text(encoding="utf-8")


def _indicator_ids(profile: Mapping) -> list[str]:
    return [*profile.get("resources", {}), *(profile.get("extra_resources") or {})]


def _indicator_spec(profile: Mapping, ind: str) -> dict:
    return profile.get("resources", {}).get(ind) or (profile.get("extra_resources") or {}).get(ind) or {}


def indicator_digits(profile: Mapping, ind: str) -> int:
    """Display decimals of an indicator: whole yuan for money, two decimals otherwise."""
    return 0 if "元" in str(_indicator_spec(profile, ind).get("unit", "")) else 2


def _section_zh(section: Any) -> str:
    return SECTION_ZH.get(str(section), str(section))


def _truthy(series: pd.Series) -> pd.Series:
    return series.map(lambda v: normalise_status(v) == "pass")


# ---------------------------------------------------------------------------------------------------------
# Departments (责任部门) from the standards profile
# ---------------------------------------------------------------------------------------------------------
def _names(value: Any) -> list[str]:
    if _is_missing(value) or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[、,，;；/]", value) if v.strip()]
    if isinstance(value, Mapping):
        return _names(value.get("zh") or value.get("name"))
    if isinstance(value, Iterable):
        return [n for v in value for n in _names(v)]
    return [str(value)]


def indicator_departments(profile: Mapping, indicator: str) -> tuple[list[str], list[str]]:
    """``(lead, cooperating)`` departments of an indicator or item from the profile's ``departments`` section.

    Accepts ``{id: {lead: ..., cooperating: [...]}}``, ``{id: [lead, other, ...]}`` or ``{id: "a、b"}``.
    """
    spec = (profile.get("departments") or {}).get(indicator)
    if spec is None:
        return [], []
    if isinstance(spec, Mapping):
        lead = _names(spec.get("lead") or spec.get("lead_department") or spec.get("牵头"))
        coop = _names(spec.get("cooperating") or spec.get("cooperating_departments") or spec.get("配合"))
        return lead, [c for c in coop if c not in lead]
    names = _names(spec)
    return names[:1], names[1:]


def _join(names: Iterable[str]) -> str:
    seen: list[str] = []
    for n in names:
        if n and n not in seen:
            seen.append(n)
    return "、".join(seen)


# ---------------------------------------------------------------------------------------------------------
# Fragments
# ---------------------------------------------------------------------------------------------------------
def verdict_status(verdict: Mapping | None) -> str:
    """Current status from verdict.json (``status`` pass/fail; also ``verdict`` 认定/不予认定 or ``passed``)."""
    if not verdict:
        return "unknown"
    for key in ("status", "passed", "certified"):
        if key in verdict and not isinstance(verdict[key], Mapping | list):
            return normalise_status(verdict[key])
    if verdict.get("verdict") in ("认定", "不予认定"):
        return "pass" if verdict["verdict"] == "认定" else "fail"
    return "unknown"


def verdict_reasons(verdict: Mapping, limit: int = 6) -> list[str]:
    """Why (主要问题): veto situations first, then failing items in the verdict's order of severity."""
    vetoes = [v for v in verdict.get("veto_triggered") or [] if isinstance(v, Mapping)]
    reasons = [f"一票否决：{v.get('item_id', '')} {v.get('name_zh', '')}".strip() for v in vetoes]
    vetoed = {v.get("item_id") for v in vetoes}
    for f in verdict.get("failing_items") or []:
        if not isinstance(f, Mapping) or f.get("item_id") in vetoed:
            continue
        value = f.get("value_text") or ("" if _is_missing(f.get("value")) else f.get("value"))
        detail = f"：{value}" if value not in ("", None) else ""
        reasons.append(f"{f.get('name_zh') or f.get('item_id', '')}{detail}（{f.get('status') or '未达标'}）")
    if not reasons:
        reasons = [str(r) for r in verdict.get("reasons") or [] if r]
    if len(reasons) > limit:
        reasons = [*reasons[:limit], f"等共 {len(reasons)} 项，详见下文"]
    return reasons


def verdict_line(verdict: Mapping | None) -> str:
    """One plain sentence (not escaped): 评估结论 and the counts of items failed, vetoed and without data."""
    if not verdict:
        return ""
    formal = verdict.get("verdict") if isinstance(verdict.get("verdict"), str) else ""
    failing = [f for f in verdict.get("failing_items") or [] if isinstance(f, Mapping)]
    parts = [f"评估结论：{formal}" if formal else ""]
    if verdict.get("veto_triggered"):
        parts.append(f"一票否决 {len(verdict['veto_triggered'])} 项")
    if failing:
        n_missing = sum(1 for f in failing if f.get("status") == "缺少数据")
        parts.append(f"未达标 {len(failing) - n_missing} 项" + (f"、缺少数据 {n_missing} 项" if n_missing else ""))
    elif not verdict.get("failing_items") and isinstance(verdict.get("summary"), str):
        parts.append(verdict["summary"])
    return "；".join(p for p in parts if p)


def overall_status(verdict: Mapping | None, milestones: pd.DataFrame | None = None) -> str:
    """Traffic light of the county: failing now → fail; passing now but a milestone projected to fail or at risk
    → at risk; otherwise pass (unknown without verdict.json)."""
    now = verdict_status(verdict)
    if now != "pass" or milestones is None or milestones.empty:
        return now
    ahead = milestones.loc[milestones["has_data"].astype(bool), "status"]
    return "at_risk" if ahead.isin(["fail", "at_risk"]).any() else "pass"


def projection_label(indicator: str, section: Any, profile: Mapping, item_names: Mapping | None = None) -> str:
    """Chinese label of a projection.csv indicator: ``R6_cv`` → 小学 R6 仪器设备值 差异系数, ``Q1`` → its item name."""
    sec = f"{_section_zh(section)} " if isinstance(section, str) and section else ""
    base, _, kind = str(indicator).partition("_")
    if indicator == "school_pass_share":
        return f"{sec}校校达标学校比例"
    if indicator == "school_pass":
        return f"{sec}校校达标"
    spec = _indicator_spec(profile, base)
    if spec:
        what = {"cv": "差异系数", "share": "达标学校比例", "": "县域均值"}.get(kind, kind)
        return f"{sec}{base} {spec.get('short', '')}{what}"
    names = item_names or {}
    if indicator in names:
        return _shorten(names[indicator])
    if base in names:
        what = {"share": "达标学校比例"}.get(kind, kind)
        return f"{_shorten(names[base])}（{what}）"
    return str(indicator)


def _shorten(text: str, limit: int = 24) -> str:
    """Cut a long item name, keeping a short trailing qualifier such as （初中）."""
    if len(text) <= limit:
        return text
    tail = re.search(r"（[^（）]{1,6}）$", text)
    keep = tail.group(0) if tail else ""
    return text[: limit - 1 - len(keep)] + "…" + keep


def item_names(items: pd.DataFrame | None) -> dict[str, str]:
    """Item id (and the number of a multi-part item) → ``G5 name`` for labels of projected county items."""
    if items is None or not {"item_id", "name_zh"} <= set(items.columns):
        return {}
    names: dict[str, str] = {}
    for _, r in items.iterrows():
        names[str(r["item_id"])] = item_label(r)
        parent = r.get("parent_id")
        if isinstance(parent, str) and parent and parent not in names:
            names[parent] = f"{parent} {r.get('name_zh', '')}"
    return names


def _judged(projection: pd.DataFrame) -> pd.DataFrame:
    """Projected rows with a judgement (on track / at risk / off track); observed rows are left out."""
    status = projection["status"].map(normalise_status)
    return projection.assign(judgement=status)[status.isin(["pass", "at_risk", "fail"])]


def milestone_status(projection: pd.DataFrame | None, profile: Mapping,
                     item_names: Mapping | None = None) -> pd.DataFrame:
    """Per milestone of the profile (时间节点): the projected status in that year.

    Met only when every judged row of that year is on track; any off-track row → fail, any at-risk → at risk.
    ``failing`` / ``at_risk`` name the county-level measures concerned; ``schools_fail`` / ``schools_at_risk``
    count schools whose 6-of-7 rule (``school_pass``) is projected off track / at risk.
    """
    cols = ["year", "id", "zh", "status", "has_data", "failing", "at_risk", "schools_fail", "schools_at_risk"]
    judged = _judged(projection) if projection is not None and "status" in projection else None
    rows = []
    for m in profile.get("milestones", []):
        year = int(m["year"])
        part = judged[judged["year"].astype(int) == year] if judged is not None else None
        row = {"year": year, "id": m.get("id", ""), "zh": m.get("zh", ""), "status": "unknown", "has_data": False,
               "failing": "", "at_risk": "", "schools_fail": 0, "schools_at_risk": 0}
        if part is not None and len(part):
            level = part["level"].astype(str) if "level" in part else pd.Series("county", part.index)
            county, school = part[level != "school"], part[level == "school"]
            rule = school[school["indicator"] == "school_pass"] if "indicator" in school else school
            labels = {s: [projection_label(r.indicator, r.section, profile, item_names)
                          for r in county[county["judgement"] == s].itertuples(index=False)]
                      for s in ("fail", "at_risk")}
            row.update(status=worst_status(part["judgement"]), has_data=True, failing="；".join(labels["fail"]),
                       at_risk="；".join(labels["at_risk"]),
                       schools_fail=int(rule.loc[rule["judgement"] == "fail", "school_code"].nunique()),
                       schools_at_risk=int(rule.loc[rule["judgement"] == "at_risk", "school_code"].nunique()))
        rows.append(row)
    return pd.DataFrame(rows, columns=cols)


def first_milestone_met(milestones: pd.DataFrame) -> pd.Series | None:
    """The earliest milestone projected as met, or ``None``."""
    met = milestones[milestones["status"] == "pass"] if not milestones.empty else milestones
    return None if met.empty else met.sort_values("year").iloc[0]


def verdict_banner(verdict: Mapping | None, county_name: str, year: int,
                   milestones: pd.DataFrame | None = None) -> str:
    """Top banner (总体结论): pass / at risk / fail, the main problems and the status at each milestone."""
    status = overall_status(verdict, milestones)
    head = f"{esc(county_name)} {int(year)} 年 · 义务教育优质均衡发展评估"
    if verdict is None:
        body = '<div class="verdict">暂无结论</div><p>未找到 verdict.json：政府保障、教育质量与社会认可度的判定尚未生成。</p>'
        return _wrap(f'<div class="rpt-banner unknown"><div class="title">{head}</div>{body}</div>')
    parts = [f'<div class="title">{head}</div>',
             f'<div class="verdict">{num_link(VERDICT_ZH[status], "verdict")}</div>']
    line = verdict_line(verdict)
    if line:
        parts.append(f"<p>{esc(line)}</p>")
    reasons = verdict_reasons(verdict)
    if reasons:
        parts.append("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in reasons) + "</ul>")
    if milestones is not None and not milestones.empty:
        chips = []
        for m in milestones.itertuples(index=False):
            state = STATUS_ZH[m.status] if m.has_data else "无预测"
            chips.append(f'<span class="milestone">{light(m.status, "")}{int(m.year)} 年 {esc(m.zh)}：'
                         f"{num_link(esc(state), 'projection')}</span>")
        first = first_milestone_met(milestones)
        if first is not None:
            when = f"按当前趋势，资源配置和可量化指标预计 {int(first.year)} 年（{esc(first.zh)}）可达到要求。"
        elif milestones["has_data"].any():
            when = "按当前趋势，各时间节点均难以全部达到要求，须加快整改。"
        else:
            when = "历史数据不足，未做预测，无法判断各时间节点能否达到要求。"
        parts.append(f'<p>{when}</p><div class="milestones">{"".join(chips)}</div>')
    return _wrap(f'<div class="rpt-banner {status}">{"".join(parts)}</div>')


def indicator_table(cv: pd.DataFrame | None, school_indicators: pd.DataFrame | None, profile: Mapping) -> str:
    """Seven indicators × section (七项指标与差异系数): standard, county mean, schools meeting it, CV, lights."""
    if cv is None and school_indicators is None:
        return _missing("cv school_indicators", "资源配置指标尚未计算。")
    comp = profile.get("cv", {}).get("comparator", "<=")
    rows = []
    sections = [s for s in ("primary", "junior")
                if (cv is not None and (cv["section"] == s).any())
                or (school_indicators is not None and (school_indicators["section"] == s).any())]
    for section in sections:
        part = school_indicators[school_indicators["section"] == section] if school_indicators is not None else None
        n_schools = len(part) if part is not None else None
        n_pass = int(_truthy(part["school_pass"]).sum()) if part is not None and "school_pass" in part else None
        head = f"{_section_zh(section)}"
        if n_schools is not None:
            head += (f"：参评 {num_link(str(n_schools), 'school_indicators')} 所，"
                     f"校校达标 {num_link(str(n_pass), 'school_indicators')} 所")
        rows.append(f'<tr class="group"><th colspan="8">{head}</th></tr>')
        for ind in _indicator_ids(profile):
            spec = _indicator_spec(profile, ind)
            digits = indicator_digits(profile, ind)
            std = spec.get(section)
            c = cv[(cv["section"] == section) & (cv["indicator"] == ind)] if cv is not None else pd.DataFrame()
            c = c.iloc[0] if len(c) else None
            if part is not None and ind in part:
                std_col = part[f"{ind}_std"] if f"{ind}_std" in part else pd.Series(float(std), part.index)
                met = int((part[ind] >= std_col * (1 - REL_TOL)).sum())
                met_text = (f"{num_link(str(met), 'school_indicators')}/{len(part)}"
                            f"（{met / len(part):.0%}）" if len(part) else "—")
                school_light = light("pass" if met == len(part) else "fail",
                                     "全部达标" if met == len(part) else f"{len(part) - met} 所未达标")
            else:
                met_text, school_light = "—", light("unknown")
            if c is not None:
                mean = num_link(fmt_number(c["weighted_mean"], digits), "cv")
                cv_text = num_link(fmt_number(c["cv"], 3), "cv")
                limit = f"{COMPARATOR_ZH.get(str(c.get('comparator', comp)), '≤')} {fmt_number(c['limit'], 2)}"
                cv_light = light(normalise_status(c["passed"]))
                bad = normalise_status(c["passed"]) == "fail"
            else:
                mean = cv_text = limit = "—"
                cv_light, bad = light("unknown"), False
            extra = "" if ind in profile.get("resources", {}) else "（省定，不计入7项）"
            name = f"{esc(ind)} {esc(spec.get('zh', ''))}{esc(extra)}"
            standard = f"≥ {fmt_standard(std)} {esc(spec.get('unit', ''))}"
            row_class = ' class="bad"' if bad else ""
            rows.append(f'<tr{row_class}><td>{name}</td><td class="n">{standard}</td>'
                        f'<td class="n">{mean}</td><td class="n">{met_text}</td><td>{school_light}</td>'
                        f'<td class="n">{cv_text}</td><td class="n">{limit}</td><td>{cv_light}</td></tr>')
    header = ("<tr><th>指标</th><th>标准</th><th>县域加权均值</th><th>达标学校</th><th>校校达标</th>"
              "<th>差异系数</th><th>限值</th><th>差异系数判定</th></tr>")
    note = ('<p class="note">差异系数按学段、逐项指标以在校生数加权计算；每项单独判定。'
            "数字可点击，跳转到审计报告中的计算过程。</p>")
    return _wrap(f'<table class="rpt-table"><thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>{note}')


def _missed_indicators(row: pd.Series, profile: Mapping) -> list[str]:
    missed = row.get("missed")
    if isinstance(missed, str) and missed:
        return [m for m in missed.split(";") if m]
    return [i for i in profile.get("resources", {}) if f"{i}_ratio" in row and row[f"{i}_ratio"] < 1 - REL_TOL]


def _shortfall_text(row: pd.Series, indicator: str, profile: Mapping) -> str:
    """"R1 高学历教师（71.4%，差1.20 人/百生）": percent of the standard and the absolute gap (when known)."""
    spec = _indicator_spec(profile, indicator)
    ratio, gap = row.get(f"{indicator}_ratio"), row.get(f"{indicator}_gap")
    if ratio is None or _is_missing(ratio):
        return indicator
    amount = ""
    if gap is not None and not _is_missing(gap):
        unit = str(spec.get("unit", ""))
        amount = f"，差{float(gap):,.0f} {unit}" if "元" in unit else f"，差{float(gap):,.2f} {unit}"
    # one decimal, rounded down: a value just under 85% must never read "85%" (or 99.99% read "100%")
    percent = math.floor(float(ratio) * 1000 * (1 + REL_TOL)) / 10
    return f"{indicator} {spec.get('short', '')}（{percent:.1f}%{amount.rstrip()}）"


def failing_schools(school_indicators: pd.DataFrame, profile: Mapping) -> pd.DataFrame:
    """Schools failing 校校达标 with missed indicators and responsible departments (pure; sorted worst first)."""
    part = school_indicators[~_truthy(school_indicators["school_pass"])]
    rows = []
    for _, r in part.iterrows():
        missed = _missed_indicators(r, profile)
        leads, coops = [], []
        for ind in missed:
            lead, coop = indicator_departments(profile, ind)
            leads += lead
            coops += coop
        detail = "、".join(_shortfall_text(r, ind, profile) for ind in missed)
        rows.append({"school_code": r["school_code"], "school_name": r.get("school_name", ""),
                     "section": r["section"], "students": r.get("students"), "n_met": r.get("n_met"),
                     "missed": ";".join(missed), "missed_detail": detail, "lead": _join(leads),
                     "cooperating": _join(c for c in coops if c not in leads), "reason": r.get("reason", "")})
    out = pd.DataFrame(rows, columns=["school_code", "school_name", "section", "students", "n_met", "missed",
                                      "missed_detail", "lead", "cooperating", "reason"])
    return out.sort_values(["n_met", "students"], ascending=[True, False], kind="stable").reset_index(drop=True)


def failing_schools_table(school_indicators: pd.DataFrame | None, profile: Mapping, max_rows: int = 40) -> str:
    """Failing schools (未达标学校) with the missed indicators (% of the standard) and departments."""
    if school_indicators is None:
        return _missing("school_indicators", "无法列出未达标学校。")
    fails = failing_schools(school_indicators, profile)
    total = len(school_indicators)
    if fails.empty:
        return _wrap(f"<p>{light('pass', '')}全部 {num_link(str(total), 'school_indicators')} "
                     "个参评学校（学段）均达到校校达标要求。</p>")
    rows = []
    for r in fails.head(max_rows).itertuples(index=False):
        rows.append(f"<tr><td>{esc(r.school_name)}<br><span class=\"note\">{esc(r.school_code)}</span></td>"
                    f"<td class=\"s\">{esc(_section_zh(r.section))}</td><td class=\"n\">{fmt_number(r.students, 0)}</td>"
                    f"<td class=\"n\">{num_link(esc(r.n_met), 'school_indicators')}</td>"
                    f"<td>{esc(r.missed_detail)}</td><td>{esc(r.lead) or '—'}</td>"
                    f"<td>{esc(r.cooperating) or '—'}</td></tr>")
    more = (f'<p class="note">另有 {len(fails) - max_rows} 个未达标学校（学段）见 {RESULTS_XLSX}“学校指标”表。</p>'
            if len(fails) > max_rows else "")
    head = ("<tr><th>学校</th><th>学段</th><th>学生数</th><th>达标项数</th><th>未达标指标（为标准的%，差距）</th>"
            "<th>牵头部门</th><th>配合部门</th></tr>")
    intro = (f"<p>{light('fail', '')}参评 {num_link(str(total), 'school_indicators')} 个学校（学段）中，"
             f"<b>{num_link(str(len(fails)), 'school_indicators')}</b> 个未达到“7项中至少"
             f"{esc(profile.get('school_rule', {}).get('min_met', ''))}项达标、其余不低于标准"
             f"{fmt_number(profile.get('school_rule', {}).get('floor_ratio'), 0, percent=True)}”的要求。</p>")
    return _wrap(f'{intro}<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{more}')


# items.csv ``status`` (analysis.guarantee) → traffic light; 不适用 (not applicable) is left out.
ITEM_STATUS = {"达标": "pass", "未达标": "fail", "否决": "fail", "缺少数据": "at_risk", "不适用": "n/a"}
RESOURCE_AREAS = ("resource_cv", "resource_schools", "resources")


def item_status(items: pd.DataFrame) -> pd.Series:
    """Light per item row: from the Chinese ``status`` column when present, else ``passed`` (unknown → at risk)."""
    from_passed = items["passed"].map(normalise_status) if "passed" in items else pd.Series("unknown", items.index)
    from_passed = from_passed.where(from_passed != "unknown", "at_risk")
    if "status" not in items:
        return from_passed
    mapped = items["status"].map(lambda v: ITEM_STATUS.get(str(v).strip()) if not _is_missing(v) else None)
    return mapped.where(mapped.notna(), from_passed)


def county_items(items: pd.DataFrame) -> pd.DataFrame:
    """Government-guarantee, quality, recognition and veto rows (resource rows are shown in their own tables)."""
    if "area" not in items:
        return items
    return items[~items["area"].astype(str).isin(RESOURCE_AREAS)]


def failing_items(items: pd.DataFrame) -> pd.DataFrame:
    """County items not met (未达标), vetoed (否决) or without data (缺少数据): veto first, then by severity."""
    part = county_items(items)
    out = part.assign(light=item_status(part))
    out = out[~out["light"].isin(["pass", "n/a"])].copy()
    area_order = {"veto": 0, "recognition": 1, "guarantee": 2, "government": 2, "quality": 3}
    out["_order"] = out["area"].map(area_order).fillna(9) if "area" in out else 9
    if "severity" in out:
        out["_order"] = out["severity"].fillna(out["_order"] + 10)
    out["_missing"] = (out["light"] != "fail").astype(int)
    return out.sort_values(["_order", "_missing"], kind="stable").drop(columns=["_order", "_missing"])


def item_label(row: Mapping) -> str:
    """``G5 名称`` (plain text): the item number of a multi-part item (G5_primary → G5) and its name."""
    number = row.get("parent_id") if isinstance(row.get("parent_id"), str) and row.get("parent_id") else row.get(
        "item_id", "")
    return f"{number} {row.get('name_zh', '')}".strip()


def item_value_text(row: Mapping) -> str:
    """An item's value for display: the step's own ``value_text`` when given, else the value as given."""
    text = row.get("value_text")
    if isinstance(text, str) and text:
        return esc(text)
    return fmt_value(row.get("value"), row.get("threshold"))


def item_standard_text(row: Mapping) -> str:
    """The requirement: comparator and threshold (a rate, unit 比例, in %; otherwise with its unit)."""
    threshold = row.get("threshold")
    if _is_missing(threshold) or threshold == "":
        return "—"
    comp = COMPARATOR_ZH.get(str(row.get("comparator", "")), esc(row.get("comparator", "")))
    unit = "" if _is_missing(row.get("unit")) else str(row.get("unit"))
    try:
        x = float(threshold)
    except (TypeError, ValueError):
        return f"{comp} {esc(threshold)}".strip()
    if unit == "比例":
        return f"{comp} {x * 100:g}%"
    return f"{comp} {fmt_standard(x)}{' ' + esc(unit) if unit else ''}".strip()


def failing_items_table(items: pd.DataFrame | None) -> str:
    """Government-guarantee, quality, recognition and veto items not met (未达标事项) with departments."""
    if items is None:
        return _missing("items", "政府保障、教育质量、社会认可度尚未判定。")
    judged = county_items(items)
    judged = judged[item_status(judged) != "n/a"]
    bad = failing_items(items)
    if bad.empty:
        return _wrap(f"<p>{light('pass', '')}政府保障、教育质量、社会认可度及不予认定情形共 "
                     f"{num_link(str(len(judged)), 'items')} 项，全部达到要求。</p>")
    rows = []
    current = None
    for _, r in bad.iterrows():
        area = str(r.get("area", ""))
        if area != current:
            title = r.get("area_zh") if isinstance(r.get("area_zh"), str) else AREA_ZH.get(area, area)
            rows.append(f'<tr class="group"><th colspan="6">{esc(title)}</th></tr>')
            current = area
        label = str(r["status"]) if "status" in r and isinstance(r["status"], str) and r["status"] else None
        cls = "bad" if r["light"] == "fail" else "warn"
        rows.append(f'<tr class="{cls}"><td>{esc(item_label(r))}</td>'
                    f'<td class="n">{num_link(item_value_text(r), "items")}</td>'
                    f'<td class="n">{item_standard_text(r)}</td><td>{light(r["light"], label)}</td>'
                    f'<td>{esc(r.get("lead_department")) or "—"}</td>'
                    f'<td>{esc(r.get("cooperating_departments")) or "—"}</td></tr>')
    head = "<tr><th>事项</th><th>现状</th><th>要求</th><th>判定</th><th>牵头部门</th><th>配合部门</th></tr>"
    n_fail = int((bad["light"] == "fail").sum())
    intro = (f"<p>政府保障、教育质量、社会认可度及不予认定情形共 {num_link(str(len(judged)), 'items')} 项中，"
             f"未达标或否决 <b>{num_link(str(n_fail), 'items')}</b> 项，缺少数据 {len(bad) - n_fail} 项"
             "（缺少数据的事项同样不能认定）。</p>")
    return _wrap(f'{intro}<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


def projection_table(projection: pd.DataFrame | None, profile: Mapping, items: pd.DataFrame | None = None) -> str:
    """Milestones 2026/2027/2028 (时间节点) with the projected status and what is projected to fail."""
    if projection is None:
        return _missing("projection", "预测尚未生成，无法判断各时间节点。")
    ms = milestone_status(projection, profile, item_names(items))
    if not ms["has_data"].any():
        return _wrap('<p class="missing">历史数据年份不足，本年度未做预测（projection.csv 只有实际值）；'
                     "积累更多年份的数据后再判断各时间节点。</p>")
    rows = []
    for m in ms.itertuples(index=False):
        if not m.has_data:
            rows.append(f'<tr><td class="s">{int(m.year)}</td><td>{esc(m.zh)}</td><td>{light("unknown", "无预测")}'
                        "</td><td>—</td><td>—</td></tr>")
            continue
        cls = {"fail": ' class="bad"', "at_risk": ' class="warn"'}.get(m.status, "")
        county = []
        if m.failing:
            county.append(f"预计不达标：{esc(m.failing)}")
        if m.at_risk:
            county.append(f"存在风险：{esc(m.at_risk)}")
        schools = (f"预计不达标 {num_link(str(m.schools_fail), 'projection')} 所；存在风险 "
                   f"{num_link(str(m.schools_at_risk), 'projection')} 所")
        rows.append(f'<tr{cls}><td class="s">{int(m.year)}</td><td>{esc(m.zh)}</td><td>{light(m.status)}</td>'
                    f'<td>{"<br>".join(county) or "全部预计达标"}</td><td>{schools}</td></tr>')
    head = ("<tr><th>年份</th><th>时间节点</th><th>预计状态</th><th>县域指标</th><th>学校（7项指标“6+1”规则）</th></tr>")
    note = ('<p class="note">按历年变化趋势外推，并以历年波动估计预测区间：区间整体达到标准为“达标”，'
            "整体未达到为“未达标”，跨越标准为“有风险”。</p>")
    return _wrap(f'<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{note}')


def projection_chart(projection: pd.DataFrame | None, profile: Mapping) -> str:
    """Projected CVs per section against the limit, and the share of schools meeting the 6-of-7 rule.

    Observed years solid, projected years dashed with the band shaded; milestone years dotted. Indicators that
    are projected off track or at risk in any year are coloured, the others drawn thin and grey.
    """
    if projection is None or "level" not in projection:
        return ""
    county = projection[(projection["level"].astype(str) == "county")]
    cv = county[county["indicator"].astype(str).str.endswith("_cv")]
    share = county[county["indicator"] == "school_pass_share"]
    if cv.empty and share.empty:
        return ""
    from analysis.report.plotting import chart_context

    with chart_context():
        return _projection_figure(cv, share, profile)


def _projection_figure(cv: pd.DataFrame, share: pd.DataFrame, profile: Mapping) -> str:
    from matplotlib.figure import Figure

    from analysis.report.plotting import COLOURS, figure_html

    sections = [s for s in ("primary", "junior") if (cv["section"] == s).any()]
    panels = len(sections) + (1 if len(share) else 0)
    fig = Figure(figsize=(3.4 * panels, 3.4))
    axes = fig.subplots(1, panels, squeeze=False)[0]
    milestone_years = sorted(int(m["year"]) for m in profile.get("milestones", []))
    palette = ["#c62828", "#ef6c00", "#6a1b9a", "#1565c0", "#00838f", "#5d4037", "#ad1457"]

    def draw(ax, series: pd.DataFrame, colour: str, label: str | None, width: float) -> None:
        s = series.sort_values("year")
        observed = s[s["status"].map(normalise_status) == "unknown"]
        ahead = s[s["status"].map(normalise_status) != "unknown"]
        if len(observed):
            ax.plot(observed["year"], observed["value"], color=colour, lw=width, marker="o", ms=2.5, label=label)
        if len(ahead):
            joined = pd.concat([observed.tail(1), ahead])
            ax.plot(joined["year"], joined["value"], color=colour, lw=width, ls="--",
                    label=None if len(observed) else label)
            if ahead[["low", "high"]].notna().all().all():
                ax.fill_between(ahead["year"], ahead["low"].astype(float), ahead["high"].astype(float),
                                color=colour, alpha=0.13, lw=0)

    for ax, section in zip(axes, sections, strict=False):
        part = cv[cv["section"] == section]
        others = True
        colour_k = 0
        for ind, series in part.groupby("indicator", sort=True):
            flagged = series["status"].map(normalise_status).isin(["fail", "at_risk"]).any()
            if flagged:
                draw(ax, series, palette[colour_k % len(palette)], str(ind).removesuffix("_cv"), 1.6)
                colour_k += 1
            else:
                draw(ax, series, COLOURS["unknown"], "其他指标" if others else None, 0.8)
                others = False
        limit = float(part["threshold"].dropna().iloc[0]) if part["threshold"].notna().any() else None
        if limit is not None:
            ax.axhline(limit, color=COLOURS["threshold"], lw=1, ls="--")
            ax.annotate(f"限值 {limit:.2f}", (0.99, limit), xycoords=("axes fraction", "data"), fontsize=7,
                        ha="right", va="bottom", xytext=(0, 2), textcoords="offset points")
        ax.set_title(f"{_section_zh(section)}差异系数", fontsize=10)
        ax.set_ylim(bottom=0)
    if len(share):
        ax = axes[-1]
        for k, (section, series) in enumerate(share.groupby("section", sort=False)):
            draw(ax, series.assign(value=series["value"] * 100, low=series["low"] * 100, high=series["high"] * 100),
                 [COLOURS["line"], "#6a1b9a"][k % 2], _section_zh(section), 1.6)
        ax.axhline(100, color=COLOURS["threshold"], lw=1, ls="--")
        ax.set_ylim(0, 105)
        ax.set_title("校校达标学校比例（%）", fontsize=10)
    for ax in axes:
        for y in milestone_years:
            ax.axvline(y, color=COLOURS["unknown"], lw=0.8, ls=":")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, frameon=False)
    fig.suptitle("实线为实际值，虚线为预测值，阴影为预测区间，点线为时间节点", fontsize=8, color="#5f6b7a")
    fig.tight_layout()
    return _wrap(figure_html(fig, "差异系数与校校达标比例预测图"))


def _amount_text(total: float, unit: str) -> str:
    if unit == "元" and total >= 10000:
        return f"{total / 10000:,.1f} 万元"
    if unit in ("人", "间"):
        return f"{total:,.0f} {unit}"
    return f"{total:,.0f} {unit}".strip()


def planned_actions(planning: pd.DataFrame, profile: Mapping) -> pd.DataFrame:
    """Group planning.csv (整改清单) of its first milestone by priority, indicator and action: schools and amount."""
    plan = planning
    year = None
    if "milestone_year" in plan and plan["milestone_year"].notna().any():
        year = int(plan["milestone_year"].dropna().min())
        plan = plan[plan["milestone_year"] == year]
    # a plan for a milestone year is due then; a plan for the current year (no projection) is due now
    milestones = {int(m["year"]) for m in profile.get("milestones", [])}
    deadline = f"{year} 年前" if year in milestones else "尽快"
    rows = []
    keys = [c for c in ("priority", "priority_zh", "indicator", "action") if c in plan]
    for key, part in plan.groupby(keys, sort=False, dropna=False):
        k = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        unit = str(part["unit"].dropna().iloc[0]) if "unit" in part and part["unit"].notna().any() else ""
        if "to_add" in part and part["to_add"].notna().any():
            total = float(part["to_add"].fillna(0).sum())
        elif "school_amount" in part:
            total = float(part["school_amount"].fillna(0).sum())
        else:
            total = float("nan")
        names = list(dict.fromkeys(part["school_name"].astype(str))) if "school_name" in part else []
        shown = "、".join(names[:4]) + (f" 等 {len(names)} 所" if len(names) > 4 else "")
        ind = str(k.get("indicator", ""))
        spec = _indicator_spec(profile, ind)
        amount = "" if math.isnan(total) or total <= 0 else f"，共需 {_amount_text(total, unit)}"
        what = f"{k.get('action', '')}（{ind} {spec.get('short', '')}）：{len(names)} 所学校{amount}——{shown}"
        lead = _join(_names(part["lead_department"].dropna().tolist())) if "lead_department" in part else ""
        coop = (_join(_names(part["cooperating_departments"].dropna().tolist()))
                if "cooperating_departments" in part else "")
        if not lead:
            lead_l, coop_l = indicator_departments(profile, ind)
            lead, coop = _join(lead_l), coop or _join(coop_l)
        rows.append({"priority": int(k.get("priority", 4)) if not _is_missing(k.get("priority")) else 4,
                     "basis": str(k.get("priority_zh", "")), "action": what, "lead": lead, "cooperating": coop,
                     "deadline": deadline, "n_schools": len(names)})
    out = pd.DataFrame(rows, columns=["priority", "basis", "action", "lead", "cooperating", "deadline", "n_schools"])
    return out.sort_values(["priority", "n_schools"], ascending=[True, False], kind="stable").reset_index(drop=True)


def priority_actions(results: Results, profile: Mapping, per_part: int = 5) -> pd.DataFrame:
    """What to do first (优先行动), most urgent first.

    1. veto situations that exist (立即纠正, all of them); 2. county items not met (at most ``per_part``);
    3. school actions of the first milestone from planning.csv grouped by action (schools failing the 6-of-7
    rule, CVs off track, CVs at risk, other indicators; at most ``per_part``); without planning.csv, the
    indicators failed by the most schools and failing CVs. ``attrs["omitted"]`` counts what was left out.
    """
    rows: list[dict] = []
    first_year = min((int(m["year"]) for m in profile.get("milestones", [])), default=None)
    deadline = f"{first_year} 年前" if first_year else ""
    if results.items is not None:
        for _, r in failing_items(results.items).iterrows():
            veto = str(r.get("area", "")) == "veto" or str(r.get("status", "")) == "否决"
            if r["light"] != "fail":
                continue
            what = (f"立即纠正：{item_label(r)}" if veto else
                    f"{item_label(r)}：现为 {html.unescape(item_value_text(r))}，"
                    f"须 {html.unescape(item_standard_text(r))}")
            rows.append({"rank": 0 if veto else 1, "action": what, "lead": esc_text(r.get("lead_department")),
                         "cooperating": esc_text(r.get("cooperating_departments")),
                         "deadline": "立即" if veto else deadline, "source": "items", "weight": 0.0})
    if results.planning is not None and len(results.planning):
        for r in planned_actions(results.planning, profile).itertuples(index=False):
            rows.append({"rank": 1 + r.priority, "action": r.action, "lead": r.lead, "cooperating": r.cooperating,
                         "deadline": r.deadline, "source": "planning", "weight": float(r.n_schools)})
    else:
        if results.cv is not None:
            for _, r in results.cv[results.cv["passed"].map(normalise_status) == "fail"].iterrows():
                schools = _top_contributors(results.cv_contributions, r["section"], r["indicator"])
                lead, coop = indicator_departments(profile, r["indicator"])
                spec = _indicator_spec(profile, r["indicator"])
                what = (f"缩小{_section_zh(r['section'])}“{spec.get('short', r['indicator'])}”校际差距：差异系数 "
                        f"{fmt_number(r['cv'], 3)}，须 {COMPARATOR_ZH.get(str(r.get('comparator', '<=')), '≤')} "
                        f"{fmt_number(r['limit'], 2)}" + (f"；优先补齐 {schools}" if schools else ""))
                rows.append({"rank": 3, "action": what, "lead": _join(lead), "cooperating": _join(coop),
                             "deadline": deadline, "source": "cv", "weight": float(r["cv"] - r["limit"])})
        if results.school_indicators is not None:
            fails = failing_schools(results.school_indicators, profile)
            counts: dict[str, list[str]] = {}
            for r in fails.itertuples(index=False):
                for ind in filter(None, r.missed.split(";")):
                    counts.setdefault(ind, []).append(str(r.school_name))
            for ind, names in counts.items():
                lead, coop = indicator_departments(profile, ind)
                unique = list(dict.fromkeys(names))
                shown = "、".join(unique[:4]) + (f" 等 {len(unique)} 所" if len(unique) > 4 else "")
                rows.append({"rank": 2, "action": f"补齐 {ind} {_indicator_spec(profile, ind).get('short', '')}："
                             f"{len(unique)} 所学校未达标——{shown}", "lead": _join(lead), "cooperating": _join(coop),
                             "deadline": deadline, "source": "school_indicators", "weight": float(len(unique))})
    cols = ["rank", "action", "lead", "cooperating", "deadline", "source", "weight"]
    out = pd.DataFrame(rows, columns=cols)
    if out.empty:
        return out
    out = out.sort_values(["rank", "weight"], ascending=[True, False], kind="stable").reset_index(drop=True)
    part = np.select([out["rank"] == 0, out["rank"] == 1], ["veto", "items"], "schools")
    position = out.groupby(part).cumcount()
    keep = (part == "veto") | (position < per_part)
    omitted = {k: int(((part == k) & ~keep).sum()) for k in ("items", "schools")}
    out = out[keep].reset_index(drop=True)
    out.attrs["omitted"] = omitted
    return out


def esc_text(value: Any) -> str:
    """A cell value as plain text (missing → empty); escaping happens when the HTML is built."""
    return "" if _is_missing(value) else str(value)


def _top_contributors(contrib: pd.DataFrame | None, section: str, indicator: str, k: int = 3) -> str:
    if contrib is None or not {"indicator", "school_name"} <= set(contrib.columns):
        return ""
    part = contrib[contrib["indicator"] == indicator]
    if "section" in part:
        part = part[part["section"] == section]
    return "、".join(part["school_name"].astype(str).head(k))


def priorities_html(actions: pd.DataFrame, planning: pd.DataFrame | None = None) -> str:
    """Ordered list of the first things to do, each with lead/cooperating departments and deadline."""
    if actions.empty:
        return _wrap(f"<p>{light('pass', '')}未发现需要整改的事项，保持并巩固现有水平。</p>")
    items = []
    for r in actions.itertuples(index=False):
        dept = f"牵头：{esc(r.lead) or '待明确'}" + (f"；配合：{esc(r.cooperating)}" if r.cooperating else "")
        when = f"；时限：{esc(r.deadline)}" if r.deadline else ""
        items.append(f"<li>{esc(r.action)} <a class=\"num\" href=\"{AUDIT_FILE}#{audit_anchor(r.source)}\">"
                     f"〔依据〕</a><br><span class=\"dept\">{dept}{when}</span></li>")
    omitted = actions.attrs.get("omitted", {})
    more = []
    if omitted.get("items"):
        more.append(f"另有 {omitted['items']} 项县级未达标事项（见第四部分）")
    if omitted.get("schools"):
        more.append(f"另有 {omitted['schools']} 类学校整改任务")
    note = f'<p class="note">{"；".join(more)}。</p>' if more else ""
    if planning is not None and len(planning):
        note += (f'<p class="note">逐校整改清单（{num_link(str(len(planning)), "planning")} 条，含各时间节点）'
                 f"见 {RESULTS_XLSX}“整改计划”表。</p>")
    return _wrap(f'<ol class="actions">{"".join(items)}</ol>{note}')


def data_notes(excluded: pd.DataFrame | None, validation: pd.DataFrame | None, max_names: int = 12) -> str:
    """Scope and data quality (数据说明): schools left out of R1–R7 and the data problems found."""
    parts = []
    if excluded is not None and len(excluded):
        names = "、".join(esc(n) for n in excluded["school_name"].astype(str).head(max_names))
        more = f" 等 {len(excluded)} 所" if len(excluded) > max_names else ""
        reasons = excluded["reason"].astype(str).value_counts()
        why = "；".join(f"{esc(k)}（{v} 所）" for k, v in reasons.items())
        parts.append(f"<p>不参加7项指标评估的学校 {num_link(str(len(excluded)), 'excluded_schools')} 所："
                     f"{names}{more}。原因：{why}。</p>")
    elif excluded is not None:
        parts.append("<p>所有学校均参加7项指标评估。</p>")
    if validation is not None:
        sev = validation["severity"].astype(str).value_counts() if "severity" in validation else pd.Series()
        n_err, n_warn = int(sev.get("error", 0)), int(sev.get("warning", 0))
        if len(validation) == 0:
            parts.append("<p>数据校验未发现问题。</p>")
        else:
            parts.append(f"<p>数据校验：错误 {num_link(str(n_err), 'validation')} 项，提示 "
                         f"{num_link(str(n_warn), 'validation')} 项（逐条见 {RESULTS_XLSX}“数据问题”表）。</p>")
    else:
        parts.append('<p class="missing">未找到 validation.csv。</p>')
    parts.append(f'<p class="note">全部计算过程、输入文件及其 SHA-256 校验值见 <a href="{AUDIT_FILE}">审计报告</a>。</p>')
    return _wrap("".join(parts))


# ---------------------------------------------------------------------------------------------------------
# Rendering the executed notebooks
# ---------------------------------------------------------------------------------------------------------
_STYLER_ID = re.compile(r"\bT_([0-9a-f]{5})(?=[_\"'\s])")
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", re.S)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*\s*$", re.M)


def stable_styler_ids(text: str) -> str:
    """Renumber pandas Styler's random table ids (``T_1a2b3``) in order of appearance: same table, same id."""
    mapping: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        return "T_" + mapping.setdefault(m.group(1), f"s{len(mapping):04d}")

    return _STYLER_ID.sub(sub, text)


class _LogToError:
    """Collects mathtext's logged warnings (a missing glyph is logged, then drawn as a dummy box)."""

    def __init__(self) -> None:
        import logging

        self.records: list[str] = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda record: self.records.append(record.getMessage())  # type: ignore[method-assign]
        self.logger = logging.getLogger("matplotlib.mathtext")

    def __enter__(self) -> _LogToError:
        self.logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)


@cache
def math_svg(tex: str, display: bool = False) -> str:
    """A TeX formula as an inline ``<img>`` (SVG drawn by matplotlib mathtext; offline, no MathJax).

    Raises ``ValueError`` when mathtext cannot typeset it or a glyph is missing; the caller then shows the TeX
    as code. The SVG has no date, creator or random ids (stable bytes).
    """
    import warnings

    import matplotlib
    from matplotlib.figure import Figure

    from analysis.report.plotting import MISSING_GLYPH, cjk_font_name

    rc: dict[str, Any] = {"svg.hashsalt": "county-eval", "svg.fonttype": "path"}
    body = tex.strip()
    if display:  # display formulas: full-size fractions as in LaTeX's display style
        body = re.sub(r"\\frac(?=[{\s])", r"\\dfrac", body)
    if any(ord(c) >= 0x2E80 for c in body):
        # Chinese words in a formula (\text{校}): upright text from the CJK font, math italic from DejaVu Sans
        body = body.replace("\\text{", "\\mathrm{")
        body = re.sub(r"(?<!\\mathrm\{)([\u2e80-\uffef]+)", r"\\mathrm{\1}", body)  # bare Chinese words upright
        rc.update({"mathtext.fontset": "custom", "mathtext.rm": cjk_font_name(), "mathtext.sf": cjk_font_name(),
                   "mathtext.it": "DejaVu Sans:italic", "mathtext.bf": "DejaVu Sans:bold",
                   "mathtext.cal": "DejaVu Sans", "mathtext.tt": "DejaVu Sans Mono", "mathtext.fallback": "cm"})
    buffer = io.BytesIO()
    with warnings.catch_warnings(), _LogToError() as log, matplotlib.rc_context(rc):
        warnings.filterwarnings("error", message=MISSING_GLYPH)
        fig = Figure(figsize=(0.01, 0.01))  # inside the rc context: the text keeps the math font set
        fig.text(0, 0, f"${body}$", fontsize=14 if display else 12)
        try:
            fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.02, transparent=True,
                        metadata={"Date": None, "Creator": None})
        except Exception as exc:  # mathtext raises ValueError for unsupported TeX; missing glyphs warn→raise
            raise ValueError(f"cannot typeset {tex!r}: {exc}") from exc
    if log.records:
        raise ValueError(f"cannot typeset {tex!r}: {log.records[0]}")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cls = "math display" if display else "math"
    img = f'<img class="{cls}" alt="{esc(tex.strip())}" src="data:image/svg+xml;base64,{data}">'
    return f'<div class="math-display">{img}</div>' if display else img


def render_math(markdown: str) -> str:
    """Replace ``$…$`` and ``$$…$$`` outside code by SVG images; formulas mathtext cannot draw stay as code."""
    def one(m: re.Match) -> str:
        display = m.group(1) is not None
        tex = m.group(1) if display else m.group(2)
        try:
            out = math_svg(tex, display)
        except ValueError:
            out = f"<code>{esc(tex)}</code>"
        return f"\n\n{out}\n\n" if display else out

    parts = _CODE.split(markdown)
    return "".join(p if i % 2 else _MATH.sub(one, p) for i, p in enumerate(parts))


def _plain_heading(text: str) -> str:
    text = re.sub(r"[`*_]", "", text)
    return re.sub(r"\$([^$]*)\$", r"\1", text).strip()


def saved_datasets(cell: Any) -> list[str]:
    """Catalog datasets a code cell saved: the markers ``ctx.save`` leaves in the cell's outputs."""
    from analysis.context import SAVED_MIME

    return [out["data"][SAVED_MIME]["dataset"] for out in cell.get("outputs", [])
            if "data" in out and SAVED_MIME in out["data"]]


def merge_notebooks(executed: Mapping[str, Any]) -> tuple[Any, list[dict]]:
    """One notebook of all executed ones in order, with stable cell ids, notebook heads and dataset anchors.

    Returns ``(notebook, toc)``; ``toc`` lists each notebook's anchor, title and its ## headings. The code cell
    that saved a dataset (its ``ctx.save`` marker) gets the anchor ``out-<dataset>``; a dataset the report links
    to but no executed cell saved points at the start of the notebook of the step that writes it (catalog).
    """
    import nbformat

    from analysis.context import SAVED_MIME

    merged = nbformat.v4.new_notebook()
    merged.metadata = {"language_info": {"name": "python"}}
    toc: list[dict] = []
    placed: set[str] = set()
    starts: dict[str, Any] = {}
    for stem in sorted(executed):
        nb = executed[stem]
        entry = {"anchor": f"nb-{stem}", "stem": stem, "title": stem, "sections": []}
        for i, src_cell in enumerate(nb.cells):
            cell = copy.deepcopy(src_cell)
            cell.id = f"{stem}-{i}"
            marks: dict[str, Any] = {}
            if i == 0:
                marks["notebook_head"] = f"<b>{esc(stem)}.ipynb</b>"
                marks["notebook_anchor"] = entry["anchor"]
                starts[stem] = cell
            if cell.cell_type == "markdown":
                for level, text in _HEADING.findall(cell.source):
                    if len(level) == 1 and entry["title"] == stem:
                        entry["title"] = _plain_heading(text)
                    elif len(level) == 2:
                        entry["sections"].append({"anchor": cell.id, "title": _plain_heading(text)})
                cell.source = render_math(cell.source)
            elif cell.cell_type == "code":
                for name in saved_datasets(cell):
                    if name not in placed:
                        marks.setdefault("anchors", []).append(audit_anchor(name))
                        placed.add(name)
                for out in cell.get("outputs", []):
                    data = out.get("data", {})
                    data.pop(SAVED_MIME, None)
                    if "text/markdown" in data:
                        data["text/markdown"] = render_math(data["text/markdown"])
            if marks:
                cell.metadata["report"] = marks
            merged.cells.append(cell)
        toc.append(entry)
    for name, ds in catalog.DATASETS.items():
        if name not in placed and ds.step in starts:
            starts[ds.step].metadata.setdefault("report", {}).setdefault("anchors", []).append(audit_anchor(name))
            placed.add(name)
    if merged.cells:  # anything still unplaced points at the top of the first notebook
        first = merged.cells[0].metadata.setdefault("report", {}).setdefault("anchors", [])
        first.extend(audit_anchor(n) for n in catalog.DATASETS if n not in placed)
    return merged, toc


def _county_name(manifest: Mapping) -> str:
    if manifest.get("county_name"):
        return str(manifest["county_name"])
    from analysis.context import county_meta

    return str(county_meta(str(manifest.get("county", "")))["name"])


def _run_stamp(manifest: Mapping) -> str:
    return str((manifest.get("run") or {}).get("started_at") or manifest.get("started_at") or "")


def audit_header(manifest: Mapping, toc: list[dict], county_name: str) -> str:
    """Top of audit.html: run facts, input files with SHA-256, package versions and the table of contents."""
    year = manifest.get("year", "")
    params = manifest.get("parameters", {})
    facts = [("县（区）", f"{county_name}（{manifest.get('county', '')}）"), ("年份", year),
             ("评估口径", params.get("standards_profile", "")), ("代码版本（git）", manifest.get("git_commit", "")),
             ("运行开始时间（UTC）", _run_stamp(manifest)), ("Jupyter 内核", manifest.get("kernel", "")),
             ("执行的笔记本", "、".join(manifest.get("notebooks", [])))]
    fact_rows = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in facts)
    inputs = manifest.get("inputs", [])
    input_rows = "".join(
        f"<tr><td>{esc(i.get('path'))}</td><td>{fmt_number(i.get('bytes'), 0)}</td>"
        f"<td class=\"hash\">{esc(i.get('sha256'))}</td></tr>" for i in inputs) or (
        '<tr><td colspan="3">清单中没有输入文件</td></tr>')
    versions = manifest.get("versions", {})
    version_text = "；".join(f"{esc(k)} {esc(v)}" for k, v in sorted(versions.items()))
    toc_items = []
    for entry in toc:
        subs = "".join(f'<li><a href="#{esc(s["anchor"])}">{esc(s["title"])}</a></li>' for s in entry["sections"])
        toc_items.append(f'<li><a href="#{esc(entry["anchor"])}">{esc(entry["stem"])}　{esc(entry["title"])}</a>'
                         + (f"<ol>{subs}</ol>" if subs else "") + "</li>")
    return (
        '<header class="report-head" id="top"><div class="kicker">审计报告 · 全部计算步骤、代码、输入与输出</div>'
        f"<h1>{esc(county_name)} {esc(year)} 年义务教育优质均衡发展评估</h1></header>"
        f'<table class="meta"><tbody>{fact_rows}</tbody></table>'
        "<h2>输入文件及校验值（SHA-256）</h2>"
        '<p class="note">原始文件只读不改；用同一 SHA-256 校验值的文件重新运行，得到相同的结果。</p>'
        f'<table class="meta"><thead><tr><th>文件</th><th>字节</th><th>SHA-256</th></tr></thead>'
        f"<tbody>{input_rows}</tbody></table>"
        f'<p class="note">软件版本：{version_text}</p>'
        '<p class="note">运行所用的文件夹（含临时目录 .staging-年份）在本报告中按项目内的标准位置显示'
        "（data/raw/县/年份、data/processed/县/年份、reports/县/年份）；各步骤耗时见 run_manifest.json。</p>"
        f'<h2>目录</h2><nav class="toc"><ol>{"".join(toc_items)}</ol></nav>'
    )


def summary_footer(manifest: Mapping) -> str:
    """Bottom of summary.html: provenance in one line."""
    stamp = _run_stamp(manifest)
    profile = (manifest.get("parameters") or {}).get("standards_profile", "")
    return (f'<footer class="report-foot">生成时间（UTC）：{esc(stamp)}　评估口径：{esc(profile)}　'
            f"代码版本：{esc(str(manifest.get('git_commit', ''))[:12])}　"
            f'计算过程与输入文件校验值见 <a href="{AUDIT_FILE}">审计报告</a>；明细数据见 {RESULTS_XLSX}。</footer>')


def _path_aliases(executed: Mapping[str, Any], out_dir: Path | None) -> list[tuple[str, str]]:
    """The folders a run used → their standard place in the project (data/raw/<县>/<年>, data/processed/<县>/<年>,
    reports/<县>/<年>, data/processed), so staging folders and machine-specific roots never show in a report
    and the same inputs give the same HTML on any machine."""
    aliases: dict[str, str] = {}
    for nb in executed.values():
        params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
        county, year = params.get("county"), params.get("year")
        if not county or not year:
            continue
        standard = {"raw_dir": f"data/raw/{county}/{year}", "processed_dir": f"data/processed/{county}/{year}",
                    "reports_dir": f"reports/{county}/{year}", "processed_root": "data/processed"}
        for key, new in standard.items():
            if params.get(key):
                aliases[str(params[key]).rstrip("/")] = new
        if out_dir is not None:
            aliases[str(out_dir).rstrip("/")] = standard["reports_dir"]
    root = str(config.PROJECT_ROOT.resolve())
    aliases = {old: new for old, new in aliases.items() if old not in ("", ".", "/", root)}
    return sorted(aliases.items(), key=lambda a: -len(a[0]))


def font_face_css(text: str) -> str:
    """``@font-face`` with the CJK font subset to the characters of ``text`` (base64 WOFF, deterministic)."""
    from fontTools import subset

    from analysis.report.plotting import cjk_font_path

    # all printable ASCII always: a path or number differing between machines must not change the font bytes
    chars = "".join(sorted({c for c in text if ord(c) >= 0x20} | {chr(c) for c in range(0x20, 0x7F)}))
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = []  # horizontal text needs none; halves the size and the time
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names incl. copyright and licence (SIL OFL)
    options.hinting = False
    options.notdef_outline = True
    font = subset.load_font(str(cjk_font_path()), options)  # recalc_timestamp is off: stable bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: 100 900; font-style: normal; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); }}')


def _with_font(page: str) -> str:
    return page.replace(_FONT_PLACEHOLDER, font_face_css(page), 1)


def _export(nb: Any, *, summary: bool, title: str, top_html: str, bottom_html: str) -> str:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.template_file = TEMPLATE_FILE
    c.HTMLExporter.exclude_input = summary
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True
    c.HTMLExporter.sanitize_html = False
    exporter = HTMLExporter(config=c)
    resources = {
        "metadata": {"name": title, "path": str(config.NOTEBOOKS)},
        "report": {"title": title, "kind": "summary" if summary else "audit", "font_css": _FONT_PLACEHOLDER,
                   "page_css": _template_text("page.css"), "top_html": top_html, "bottom_html": bottom_html},
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _finish(page: str, aliases: list[tuple[str, str]], font: bool = True) -> str:
    """Final page text: staging paths shown at their standard place, stable ids, and (``font``) the CJK font
    subset embedded; with ``font=False`` the placeholder stays for :func:`render_reports` to fill once."""
    for old, new in aliases:
        page = page.replace(old, new)
    page = stable_styler_ids(page)
    return _with_font(page) if font else page


def summary_notebook(nb: Any) -> Any:
    """Copy of the report notebook for leaders: positional cell ids, no stderr (warnings) outputs."""
    out = copy.deepcopy(nb)
    for i, cell in enumerate(out.cells):
        cell.id = f"summary-{i}"
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        elif cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
    return out


def _report_notebook(executed: Mapping[str, Any]) -> Any | None:
    for stem in sorted(executed):
        if stem == catalog.REPORT or stem.endswith("_report"):
            return executed[stem]
    return None


def render_summary(executed: Mapping[str, Any], manifest: Mapping, out_dir: Path, font: bool = True) -> str | None:
    """summary.html text from the executed report notebook (no code, no prompts), or None without it."""
    nb = _report_notebook(executed)
    if nb is None:
        return None
    county_name = _county_name(manifest)
    title = f"{county_name} {manifest.get('year', '')} 年义务教育优质均衡发展评估 · 领导摘要"
    page = _export(summary_notebook(nb), summary=True, title=title, top_html="",
                   bottom_html=summary_footer(manifest))
    return _finish(page, _path_aliases(executed, out_dir), font)


def render_audit(executed: Mapping[str, Any], manifest: Mapping, out_dir: Path, font: bool = True) -> str:
    """audit.html text: every executed notebook in order with code, inputs (hashes) and anchors."""
    county_name = _county_name(manifest)
    merged, toc = merge_notebooks(executed)
    title = f"{county_name} {manifest.get('year', '')} 年义务教育优质均衡发展评估 · 审计报告"
    page = _export(merged, summary=False, title=title, top_html=audit_header(manifest, toc, county_name),
                   bottom_html='<p class="back-top"><a href="#top">回到顶部</a></p>')
    return _finish(page, _path_aliases(executed, out_dir), font)


def notebook_html(nb: Any, title: str | None = None, font: bool = True) -> str:
    """One executed notebook as a self-contained HTML page with its code (the runner writes ``NN_name.html``).

    Same template, formulas, font subset and normalisation as audit.html: staging paths shown as final ones,
    positional cell ids, renumbered Styler ids.
    """
    stem = str((nb.metadata.get("papermill") or {}).get("input_path") or "notebook")
    stem = Path(stem).stem
    merged, _ = merge_notebooks({stem: nb})
    for cell in merged.cells:  # a single notebook needs no notebook header
        cell.metadata.get("report", {}).pop("notebook_head", None)
    heading = next((_plain_heading(t) for c in nb.cells if c.cell_type == "markdown"
                    for lvl, t in _HEADING.findall(c.source) if len(lvl) == 1), stem)
    page = _export(merged, summary=False, title=title or heading, top_html="",
                   bottom_html=f'<footer class="report-foot">{esc(stem)}.ipynb · 完整计算过程见 {AUDIT_FILE}</footer>')
    params = (nb.metadata.get("papermill") or {}).get("parameters") or {}
    out_dir = Path(params["reports_dir"]) if params.get("reports_dir") else Path(".")
    return _finish(page, _path_aliases({stem: nb}, out_dir), font)


class NotebookOutputError(RuntimeError):
    """An executed notebook holds an error output although its cells ran (e.g. a chart that failed to render)."""


def output_errors(executed: Mapping[str, Any]) -> list[str]:
    """Error outputs left in executed notebooks. IPython catches exceptions raised while *displaying* a result
    (a chart with a glyph missing from the fonts, a broken table) and shows them as output instead of failing
    the cell, so the run would otherwise go on with a chart missing; each entry names notebook, cell, error."""
    found = []
    for stem in sorted(executed):
        for i, cell in enumerate(executed[stem].cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    found.append(f"{stem}.ipynb cell {i}: {out.get('ename', '')}: {out.get('evalue', '')}")
    return found


def render_reports(executed: dict[str, Any], manifest: dict, out_dir: Path, notebook_pages: bool = False
                   ) -> list[Path]:
    """Write ``summary.html`` (if the report notebook ran)
    and ``audit.html`` into ``out_dir``.

    Called by :func:`analysis.pipeline.run_year` with the executed notebooks (stem → NotebookNode) and the
    run manifest, before the staging folder is swapped in. The CJK font is subset once, to the characters of
    all the pages together (subsetting is the slow part), and embedded in each. Returns the written paths.
    Raises :class:`NotebookOutputError` when a notebook holds an error output (see :func:`output_errors`).
    """
    errors = output_errors(executed)
    if errors:
        raise NotebookOutputError("executed notebooks contain errors shown as output (the reports would hide "
                                  "them):\n" + "\n".join(errors))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: dict[Path, str] = {}
    if notebook_pages:
        for stem, nb in executed.items():
            pages[out_dir / f"{stem}.html"] = notebook_html(nb, font=False)
    summary = render_summary(executed, manifest, out_dir, font=False)
    if summary is not None:
        pages[out_dir / SUMMARY_FILE] = summary
    pages[out_dir / AUDIT_FILE] = render_audit(executed, manifest, out_dir, font=False)
    css = font_face_css("".join(pages.values()))
    for path, page in pages.items():
        path.write_text(page.replace(_FONT_PLACEHOLDER, css, 1), encoding="utf-8")
    return list(pages)


# ---------------------------------------------------------------------------------------------------------
# Index page
# ---------------------------------------------------------------------------------------------------------
def index_entries(reports_root: Path, processed_root: Path | None = None) -> list[dict]:
    """Every generated county/year under ``reports_root`` with its verdict (from processed verdict.json)."""
    from analysis.context import county_meta

    processed_root = Path(processed_root) if processed_root else config.PROCESSED
    entries = []
    if not Path(reports_root).is_dir():
        return entries
    for county_dir in sorted(p for p in Path(reports_root).iterdir() if p.is_dir() and not p.name.startswith(".")):
        years = sorted((p for p in county_dir.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name))
        for year_dir in years:
            files = {name: (year_dir / name).exists() for name in (SUMMARY_FILE, AUDIT_FILE, RESULTS_XLSX)}
            if not any(files.values()):
                continue
            verdict_path = processed_root / county_dir.name / year_dir.name / catalog.dataset("verdict").file
            verdict = aio.read_json(verdict_path) if verdict_path.exists() else None
            manifest_path = year_dir / MANIFEST_FILE
            manifest = aio.read_json(manifest_path) if manifest_path.exists() else {}
            try:
                county_name = county_meta(county_dir.name)["name"]
            except ValueError:  # a folder no run created (not a valid county name): show it as it is
                county_name = manifest.get("county_name") or county_dir.name
            entries.append({"county": county_dir.name, "county_name": county_name,
                            "year": int(year_dir.name), "status": verdict_status(verdict),
                            "headline": verdict_line(verdict),
                            "generated": _run_stamp(manifest), "files": files})
    return entries


def index_html(entries: list[dict]) -> str:
    """The index page (评估报告索引) listing county/year, verdict and links; fonts filled in by the caller."""
    rows = []
    for e in entries:
        base = f"{e['county']}/{e['year']}/"
        links = "<br>".join(f'<a href="{esc(base + f)}">{label}</a>' for f, label in (
            (SUMMARY_FILE, "领导摘要"), (AUDIT_FILE, "审计报告"), (RESULTS_XLSX, "Excel 结果")) if e["files"].get(f))
        headline = e["headline"] if isinstance(e["headline"], str) else ""
        rows.append(f"<tr><td>{esc(e['county_name'])}<br><span class=\"note\">{esc(e['county'])}</span></td>"
                    f"<td>{int(e['year'])}</td><td>{light(e['status'], VERDICT_ZH[e['status']])}"
                    f"<br><span class=\"note\">{esc(headline)}</span></td><td>{links}</td>"
                    f"<td class=\"note\">{esc(e['generated'])}</td></tr>")
    body = ("".join(rows) or '<tr><td colspan="5">尚未生成任何报告：运行 <code>make run</code>。</td></tr>')
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        "<title>县域义务教育优质均衡发展评估 · 报告索引</title>\n"
        f"<style>\n{_FONT_PLACEHOLDER}\n</style>\n<style>\n{_template_text('page.css')}</style>\n"
        f"<style>\n{_template_text('fragments.css')}</style>\n</head>\n<body>\n<main class=\"rpt\">\n"
        '<header class="report-head"><div class="kicker">报告索引</div><h1>县域义务教育优质均衡发展评估</h1></header>\n'
        '<table class="index"><thead><tr><th>县（区）</th><th>年份</th><th>结论</th><th>报告</th><th>生成时间（UTC）</th>'
        f"</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n</main>\n</body>\n</html>\n"
    )


def write_index(reports_root: Path, processed_root: Path | None = None) -> Path:
    """Write ``reports/index.html`` listing every county and year generated, with verdict and links."""
    reports_root = Path(reports_root)
    reports_root.mkdir(parents=True, exist_ok=True)
    path = reports_root / INDEX_FILE
    path.write_text(_with_font(index_html(index_entries(reports_root, processed_root))), encoding="utf-8")
    return path
