"""Summary fragments (摘要片段) of the report notebook (``catalog.REPORT``): DataFrames in, HTML strings out.

Verdict banner, indicator/CV table with traffic lights (交通灯), failing schools and items with the responsible
departments, milestone projection, "what to do first" (优先行动). Every text value is HTML-escaped; every
number links to the place in the audit report where it is computed."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis.data import catalog
from analysis.evaluate import milestones as milestone_rules
from analysis.evaluate.quality import EARLIER_FOLDER
from analysis.evaluate.tasks import item_text
from analysis.report.format import (
    AREA_ZH,
    AUDIT_FILE,
    COMPARATOR_ZH,
    HEADLINE_ZH,
    RESULTS_XLSX,
    anchor_link,
    audit_anchor,
    cv_anchor,
    esc,
    esc_text,
    fmt_number,
    fmt_standard,
    fmt_value,
    indicator_digits,
    indicator_ids,
    indicator_spec,
    join_names,
    light,
    missing_notice,
    num_link,
    school_anchor,
    section_zh,
    template_text,
    truthy,
    wrap_fragment,
)
from analysis.report.results import Results
from analysis.standards.compare import REL_TOL, falls_short, meets
from analysis.standards.departments import departments, unit_names
from analysis.standards.status import (
    ITEM_LIGHT,
    LIGHT_ZH,
    LIGHTS,
    MET,
    MISSED,
    MISSING,
    VETO,
    is_missing,
    light_of,
    worst_light,
)


def style_block() -> str:
    """``<style>`` for the fragments; displayed once at the top of the report notebook."""
    return f"<style>\n{template_text('fragments.css')}</style>"


def legend() -> str:
    """Legend of the traffic lights (图例) and a hint that numbers link to the audit report."""
    lights = "".join(light(s) for s in LIGHTS)
    return wrap_fragment(f'<p class="legend">图例：{lights}<span class="hint">表中数字可点击，跳转到审计报告中的计算过程。'
                         "</span></p>")


def _chart(figure: Callable[[], Any], alt: str) -> str:
    """``<img>`` of the chart ``figure()`` draws, a self-contained inline PNG (CJK font, missing glyphs raise)."""
    from analysis.report.plotting import chart_context, figure_html

    with chart_context():
        return figure_html(figure(), alt)


def _cv_image(cv: pd.DataFrame | None, profile: Mapping) -> str:
    if cv is None or cv.empty:
        return ""
    from analysis.report import charts

    return _chart(lambda: charts.cv_bars(cv, dict(profile)), "各指标校际差异系数与限值图")


def _compliance_image(school_indicators: pd.DataFrame | None, profile: Mapping) -> str:
    if school_indicators is None or school_indicators.empty:
        return ""
    from analysis.evaluate.indicators import compliance_summary
    from analysis.report import charts

    summary = compliance_summary(school_indicators, dict(profile))
    return _chart(lambda: charts.compliance_bar(summary, dict(profile), school_indicators), "各指标达标学校比例图")


def cv_chart(cv: pd.DataFrame | None, profile: Mapping) -> str:
    """Chart of each CV against its section's limit (差异系数与限值图); empty without cv.csv."""
    image = _cv_image(cv, profile)
    return wrap_fragment(image) if image else ""


def compliance_chart(school_indicators: pd.DataFrame | None, profile: Mapping) -> str:
    """Chart of the share of school-sections meeting each indicator and the school rule (达标学校比例图)."""
    image = _compliance_image(school_indicators, profile)
    return wrap_fragment(image) if image else ""


def resource_charts(cv: pd.DataFrame | None, school_indicators: pd.DataFrame | None, profile: Mapping) -> str:
    """Both resource charts (差异系数与限值、达标学校比例) in one row that wraps on a narrow page or a phone."""
    images = _cv_image(cv, profile) + _compliance_image(school_indicators, profile)
    return wrap_fragment(f'<div class="chart-row">{images}</div>') if images else ""


def verdict_status(verdict: Mapping | None) -> str:
    """Current status from verdict.json (``status`` pass/fail; also ``verdict`` 认定/不予认定 or ``passed``)."""
    if not verdict:
        return "unknown"
    for key in ("status", "passed", "certified"):
        if key in verdict and not isinstance(verdict[key], Mapping | list):
            return light_of(verdict[key])
    return light_of(verdict.get("verdict"))  # 认定 / 不予认定


def verdict_reasons(verdict: Mapping, limit: int = 6) -> list[str]:
    """Why (主要问题): veto situations first, then failing items in the verdict's order of severity."""
    vetoes = [v for v in verdict.get("veto_triggered") or [] if isinstance(v, Mapping)]
    reasons = [f"一票否决：{v.get('item_id', '')} {v.get('name_zh', '')}".strip() for v in vetoes]
    vetoed = {v.get("item_id") for v in vetoes}
    for f in verdict.get("failing_items") or []:
        if not isinstance(f, Mapping) or f.get("item_id") in vetoed:
            continue
        value = f.get("value_text") or ("" if is_missing(f.get("value")) else f.get("value"))
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
        n_missing = sum(1 for f in failing if f.get("status") == MISSING)
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
    sec = f"{section_zh(section)} " if isinstance(section, str) and section else ""
    base, _, kind = str(indicator).partition("_")
    if indicator == "school_pass_share":
        return f"{sec}校校达标学校比例"
    if indicator == "school_pass":
        return f"{sec}校校达标"
    spec = indicator_spec(profile, base)
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
            names[parent] = item_text(parent, parent, r.get("name_zh", ""))
    return names


def _judged(projection: pd.DataFrame) -> pd.DataFrame:
    """Projected rows with a judgement (on track / at risk / off track); observed rows are left out."""
    status = projection["status"].map(light_of)
    return projection.assign(judgement=status)[status.isin(["pass", "at_risk", "fail"])]


def milestone_status(projection: pd.DataFrame | None, profile: Mapping,
                     item_names: Mapping | None = None, schedule: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per milestone of the profile (时间节点): the projected status in that year.

    Met only when every judged row of that year is on track; any off-track row → fail, any at-risk → at risk.
    ``failing`` / ``at_risk`` name the county-level measures concerned; ``schools_fail`` / ``schools_at_risk``
    count schools whose 6-of-7 rule (``school_pass``) is projected off track / at risk.
    """
    cols = ["year", "id", "zh", "status", "has_data", "failing", "at_risk", "schools_fail", "schools_at_risk"]
    judged = _judged(projection) if projection is not None and "status" in projection else None
    rows = []
    # dated, assessed milestones (analysis.evaluate.milestones); a past one shows its observed met / missed
    past = ({r.milestone_id: r for r in schedule.itertuples(index=False) if r.timing in ("past", "current")}
            if schedule is not None else {})
    for m in milestone_rules.dated(dict(profile)):
        if m.get("assess", True) is False:
            continue
        year = int(m["year"])
        part = judged[judged["year"].astype(int) == year] if judged is not None else None
        row = {"year": year, "id": m.get("id", ""), "zh": m.get("zh", ""), "status": "unknown", "has_data": False,
               "failing": "", "at_risk": "", "schools_fail": 0, "schools_at_risk": 0}
        if m.get("id", "") in past:
            seen = past[m.get("id", "")]
            row.update(zh=f"{row['zh']}（{seen.timing_zh}）", has_data=seen.status in (MET, MISSED),
                       status=light_of(seen.status), failing=seen.basis)
            rows.append(row)
            continue
        if part is not None and len(part):
            level = part["level"].astype(str) if "level" in part else pd.Series("county", part.index)
            county, school = part[level != "school"], part[level == "school"]
            rule = school[school["indicator"] == "school_pass"] if "indicator" in school else school
            labels = {s: [projection_label(r.indicator, r.section, profile, item_names)
                          for r in county[county["judgement"] == s].itertuples(index=False)]
                      for s in ("fail", "at_risk")}
            row.update(status=worst_light(part["judgement"]), has_data=True, failing="；".join(labels["fail"]),
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
        body = ('<div class="verdict">暂无结论</div>'
                f"<p>未找到{esc(catalog.dataset('verdict').title_zh)}：政府保障、教育质量与社会认可度的判定尚未生成。</p>")
        return wrap_fragment(f'<div class="rpt-banner unknown"><div class="title">{head}</div>{body}</div>')
    parts = [f'<div class="title">{head}</div>',
             f'<div class="verdict">{num_link(HEADLINE_ZH[status], "verdict")}</div>']
    line = verdict_line(verdict)
    if line:
        parts.append(f"<p>{esc(line)}</p>")
    reasons = verdict_reasons(verdict)
    if reasons:
        parts.append("<ul>" + "".join(f"<li>{esc(r)}</li>" for r in reasons) + "</ul>")
    if milestones is not None and not milestones.empty:
        chips = []
        for m in milestones.itertuples(index=False):
            state = LIGHT_ZH[m.status] if m.has_data else "无预测"
            chips.append(f'<span class="milestone">{light(m.status, "")}{int(m.year)} 年 {esc(m.zh)}：'
                         f"{num_link(esc(state), 'projection')}</span>")
        first = first_milestone_met(milestones)
        if first is not None:
            when = f"按当前趋势，资源配置和可量化指标预计 {int(first.year)} 年（{esc(first.zh)}）可达到要求。"
        elif milestones["has_data"].any():
            when = "按当前趋势，各时间节点均难以全部达到要求，须加快整改。"
        else:
            when = "历史数据年份不足，未做趋势预测，尚无法判断各时间节点能否达到要求（补充往年数据后能得到什么，见下文“各时间节点达标预测”）。"
        parts.append(f'<p>{when}</p><div class="milestones">{"".join(chips)}</div>')
    return wrap_fragment(f'<div class="rpt-banner {status}">{"".join(parts)}</div>')


def indicator_table(cv: pd.DataFrame | None, school_indicators: pd.DataFrame | None, profile: Mapping) -> str:
    """Seven indicators × section (七项指标与差异系数): standard, county mean, schools meeting it, CV, lights."""
    if cv is None and school_indicators is None:
        return missing_notice("cv school_indicators", "资源配置指标尚未计算。")
    comp = profile.get("cv", {}).get("comparator", "<=")
    rows = []
    sections = [s for s in ("primary", "junior")
                if (cv is not None and (cv["section"] == s).any())
                or (school_indicators is not None and (school_indicators["section"] == s).any())]
    for section in sections:
        part = school_indicators[school_indicators["section"] == section] if school_indicators is not None else None
        n_schools = len(part) if part is not None else None
        n_pass = int(truthy(part["school_pass"]).sum()) if part is not None and "school_pass" in part else None
        head = f"{section_zh(section)}"
        if n_schools is not None:
            head += (f"：参评 {num_link(str(n_schools), 'school_indicators')} 所，"
                     f"校校达标 {num_link(str(n_pass), 'school_indicators')} 所")
        rows.append(f'<tr class="group"><th colspan="8">{head}</th></tr>')
        for ind in indicator_ids(profile):
            spec = indicator_spec(profile, ind)
            digits = indicator_digits(profile, ind)
            std = spec.get(section)
            c = cv[(cv["section"] == section) & (cv["indicator"] == ind)] if cv is not None else pd.DataFrame()
            c = c.iloc[0] if len(c) else None
            if part is not None and ind in part:
                std_col = part[f"{ind}_std"] if f"{ind}_std" in part else pd.Series(float(std), part.index)
                met = int(meets(part[ind], std_col, ">=").sum())
                met_text = (f"{num_link(str(met), 'school_indicators')}/{len(part)}"
                            f"（{met / len(part):.0%}）" if len(part) else "—")
                school_light = light("pass" if met == len(part) else "fail",
                                     "全部达标" if met == len(part) else f"{len(part) - met} 所未达标")
            else:
                met_text, school_light = "—", light("unknown")
            if c is not None:
                worked = cv_anchor(section, ind)  # the CV of this section and indicator worked school by school
                mean = anchor_link(fmt_number(c["weighted_mean"], digits), worked)
                cv_text = anchor_link(fmt_number(c["cv"], 3), worked)
                limit = f"{COMPARATOR_ZH.get(str(c.get('comparator', comp)), '≤')} {fmt_number(c['limit'], 2)}"
                cv_light = light(light_of(c["passed"]))
                bad = light_of(c["passed"]) == "fail"
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
            '<span class="hint">数字可点击，跳转到审计报告中的计算过程。</span></p>')
    return wrap_fragment(f'<table class="rpt-table"><thead>{header}</thead><tbody>{"".join(rows)}</tbody></table>{note}')


def _missed_indicators(row: pd.Series, profile: Mapping) -> list[str]:
    missed = row.get("missed")
    if isinstance(missed, str) and missed:
        return [m for m in missed.split(";") if m]
    return [i for i in profile.get("resources", {}) if f"{i}_ratio" in row and falls_short(row[f"{i}_ratio"], 1, ">=")]


def _shortfall_text(row: pd.Series, indicator: str, profile: Mapping) -> str:
    """"R1 高学历教师（71.4%，差1.20 人/百生）": percent of the standard and the absolute gap (when known)."""
    spec = indicator_spec(profile, indicator)
    ratio, gap = row.get(f"{indicator}_ratio"), row.get(f"{indicator}_gap")
    if ratio is None or is_missing(ratio):
        return indicator
    amount = ""
    if gap is not None and not is_missing(gap):
        unit = str(spec.get("unit", ""))
        amount = f"，差{float(gap):,.0f} {unit}" if "元" in unit else f"，差{float(gap):,.2f} {unit}"
    # one decimal, rounded down: a value just under 85% must never read "85%" (or 99.99% read "100%")
    percent = math.floor(float(ratio) * 1000 * (1 + REL_TOL)) / 10
    return f"{indicator} {spec.get('short', '')}（{percent:.1f}%{amount.rstrip()}）"


def failing_schools(school_indicators: pd.DataFrame, profile: Mapping) -> pd.DataFrame:
    """Schools failing 校校达标 with missed indicators and responsible departments (pure; sorted worst first)."""
    part = school_indicators[~truthy(school_indicators["school_pass"])]
    rows = []
    for _, r in part.iterrows():
        missed = _missed_indicators(r, profile)
        leads, coops = [], []
        for ind in missed:
            lead, coop = departments(profile, ind)
            leads += lead
            coops += coop
        detail = "、".join(_shortfall_text(r, ind, profile) for ind in missed)
        rows.append({"school_code": r["school_code"], "school_name": r.get("school_name", ""),
                     "section": r["section"], "students": r.get("students"), "n_met": r.get("n_met"),
                     "missed": ";".join(missed), "missed_detail": detail, "lead": join_names(leads),
                     "cooperating": join_names(c for c in coops if c not in leads), "reason": r.get("reason", "")})
    out = pd.DataFrame(rows, columns=["school_code", "school_name", "section", "students", "n_met", "missed",
                                      "missed_detail", "lead", "cooperating", "reason"])
    return out.sort_values(["n_met", "students"], ascending=[True, False], kind="stable").reset_index(drop=True)


def failing_schools_table(school_indicators: pd.DataFrame | None, profile: Mapping, max_rows: int = 40) -> str:
    """Failing schools (未达标学校) with the missed indicators (% of the standard) and departments."""
    if school_indicators is None:
        return missing_notice("school_indicators", "无法列出未达标学校。")
    fails = failing_schools(school_indicators, profile)
    total = len(school_indicators)
    if fails.empty:
        return wrap_fragment(f"<p>{light('pass', '')}全部 {num_link(str(total), 'school_indicators')} "
                     "个参评学校（学段）均达到校校达标要求。</p>")
    rows = []
    for r in fails.head(max_rows).itertuples(index=False):
        rows.append(f"<tr><td>{esc(r.school_name)}<br><span class=\"note\">{esc(r.school_code)}</span></td>"
                    f"<td class=\"s\">{esc(section_zh(r.section))}</td><td class=\"n\">{fmt_number(r.students, 0)}</td>"
                    f"<td class=\"n\">{anchor_link(esc(r.n_met), school_anchor(r.school_code, r.section))}</td>"
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
    return wrap_fragment(f'{intro}<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{more}')


RESOURCE_AREAS = ("resource_cv", "resource_schools", "resources")


def item_status(items: pd.DataFrame) -> pd.Series:
    """Light per item row: from the Chinese ``status`` column when present, else ``passed`` (unknown → at risk)."""
    from_passed = items["passed"].map(light_of) if "passed" in items else pd.Series("unknown", items.index)
    from_passed = from_passed.where(from_passed != "unknown", "at_risk")
    if "status" not in items:
        return from_passed
    mapped = items["status"].map(lambda v: ITEM_LIGHT.get(str(v).strip()) if not is_missing(v) else None)
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
    out["missing"] = (out["light"] != "fail").astype(int)
    return out.sort_values(["_order", "missing"], kind="stable").drop(columns=["_order", "missing"])


def item_label(row: Mapping) -> str:
    """``G5 名称`` (plain text): the item number of a multi-part item (G5_primary → G5) and its name; an item
    without a number a reader knows (R_schools_primary) by its name alone."""
    return item_text(row.get("item_id", ""), row.get("parent_id"), row.get("name_zh", ""))


def _item_spec(profile: Mapping | None, item_id: str) -> Mapping:
    """The profile entry of a county item (政府保障、教育质量、不予认定, 学前教育 items), or ``{}``."""
    profile = profile or {}
    sections = [profile.get(k) for k in ("guarantee", "quality", "veto")]
    sections.append((profile.get("preschool") or {}).get("items"))
    for section in sections:
        if isinstance(section, Mapping) and isinstance(section.get(item_id), Mapping):
            return section[item_id]
    return {}


def item_name(row: Mapping, profile: Mapping | None = None, limit: int = 20) -> str:
    """An item as a reader names it, without its code (编号): the profile's short name (``short``) with the
    section (G5_primary → 班额（小学）), 小学校校达标 for R_schools_primary, 小学仪器设备值差异系数 for
    CV_primary_R6; otherwise the item's own name, shortened to ``limit`` characters."""
    item_id = str(row.get("item_id", ""))
    parent = row.get("parent_id") if isinstance(row.get("parent_id"), str) and row.get("parent_id") else item_id
    name = str(row.get("name_zh") or "")
    area = str(row.get("area", ""))
    if area == "resource_schools" and "：" in name:
        return name.split("：", 1)[0]
    if area == "resource_cv":
        section, _, ind = item_id.removeprefix("CV_").partition("_")
        short = indicator_spec(profile or {}, ind).get("short")
        if short:
            return f"{section_zh(section)}{short}差异系数"
    short = _item_spec(profile, str(parent)).get("short")
    part = item_id.removeprefix(str(parent)).strip("_")
    if short and not part:
        return str(short)
    if short and part in ("primary", "junior"):
        return f"{short}（{section_zh(part)}）"
    return _shorten(name or item_id, limit)


def items_in_words(failing: list[Mapping], profile: Mapping | None = None) -> str:
    """The items a verdict failed, by name (not code), in one sentence: "2 项未达标：A、B；1 项缺少数据：C"."""
    groups: dict[str, list[str]] = {"一票否决": [], "未达标": [], "缺少数据": []}
    for f in failing:
        key = ("一票否决" if str(f.get("area", "")).endswith("veto") or f.get("status") == VETO
               else "缺少数据" if f.get("status") == MISSING else "未达标")
        groups[key].append(item_name(f, profile))
    return "；".join(f"{len(names)} 项{key}：{'、'.join(dict.fromkeys(names))}"
                    for key, names in groups.items() if names)


def item_value_text(row: Mapping) -> str:
    """An item's value for display: the step's own ``value_text`` when given, else the value as given."""
    text = row.get("value_text")
    if isinstance(text, str) and text:
        return esc(text)
    return fmt_value(row.get("value"), row.get("threshold"))


def item_standard_text(row: Mapping) -> str:
    """The requirement: comparator and threshold (a rate, unit 比例, in %; otherwise with its unit)."""
    threshold = row.get("threshold")
    if is_missing(threshold) or threshold == "":
        return "—"
    comp = COMPARATOR_ZH.get(str(row.get("comparator", "")), esc(row.get("comparator", "")))
    unit = "" if is_missing(row.get("unit")) else str(row.get("unit"))
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
        return missing_notice("items", "政府保障、教育质量、社会认可度尚未判定。")
    judged = county_items(items)
    judged = judged[item_status(judged) != "n/a"]
    bad = failing_items(items)
    if bad.empty:
        return wrap_fragment(f"<p>{light('pass', '')}政府保障、教育质量、社会认可度及不予认定情形共 "
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
    return wrap_fragment(f'{intro}<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


def projection_table(projection: pd.DataFrame | None, profile: Mapping, items: pd.DataFrame | None = None) -> str:
    """Milestones 2026/2027/2028 (时间节点) with the projected status and what is projected to fail."""
    if projection is None:
        return missing_notice("projection", "预测尚未生成，无法判断各时间节点。")
    ms = milestone_status(projection, profile, item_names(items))
    if not ms["has_data"].any():
        return wrap_fragment(no_projection_html(projection, profile))
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
    return wrap_fragment(f'<table class="rpt-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>{note}')


def observed_years(projection: pd.DataFrame | None) -> list[int]:
    """The years with actual values in projection.csv (``status`` observed)."""
    if projection is None or not {"year", "status"} <= set(projection.columns):
        return []
    return sorted({int(y) for y in projection.loc[projection["status"].map(light_of) == "unknown", "year"].dropna()})


def no_projection_html(projection: pd.DataFrame | None, profile: Mapping) -> str:
    """Why there is no projection, in plain words, and what the analyst gets by adding earlier year folders
    (fewer observed years than the method's ``min_history_years``: a county's first run has one)."""
    from analysis.evaluate.projection import method_settings

    years = observed_years(projection)
    need = int(method_settings(dict(profile))["min_history_years"])
    base = years[-1] if years else None
    ahead = milestone_rules.projected(dict(profile), base) if base is not None else []
    if base is None or len(years) >= need or not ahead:
        why = "本学年之后没有需要预测的时间节点" if base is not None and not ahead else "历史数据不足"
        return f'<p class="missing">本年度未做预测（{why}），各时间节点的达标情况按本年实际值判断。</p>'
    have = f"{years[0]} 年一年" if len(years) == 1 else f"{'、'.join(map(str, years))} 年共 {len(years)} 年"
    add = [str(y) for y in range(years[0] - (need - len(years)), years[0])]
    marks = "、".join(f"{int(m['year'])} 年{m.get('zh', '')}" for m in ahead)
    return (f'<p class="missing">本次只有 {have}的数据，尚不能做趋势预测：按历年变化外推至少需要 {need} 年的数据。'
            "各时间节点因此都显示为“无预测”，下图只画出已有年份的实际值。</p>"
            f"<p>补充往年（如 {'、'.join(add)} 年）的原始数据文件夹——与本年文件夹并列、按年份命名，含学校基本情况、"
            f"专任教师情况、班级学生数等同样的表——并与 {base} 年一起运行，本节即给出：各时间节点（{esc(marks)}）"
            "的预计达标状态及预测区间，每项指标预计哪一年达标，哪些学校会因在校生增减而失去达标，"
            "县定年度目标能否完成；整改清单也将按各时间节点的预测在校生计算缺口。</p>")


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
    from analysis.report.plotting import chart_context, figure_html

    with chart_context():
        return wrap_fragment(figure_html(projection_figure(cv, share, profile), "差异系数与校校达标比例预测图"))


def projection_figure(cv: pd.DataFrame, share: pd.DataFrame, profile: Mapping):
    """The figure of :func:`projection_chart` (county CV rows and ``school_pass_share`` rows of projection.csv)."""
    from matplotlib.figure import Figure

    from analysis.report.plotting import COLOURS, year_axis

    sections = [s for s in ("primary", "junior") if (cv["section"] == s).any()]
    panels = len(sections) + (1 if len(share) else 0)
    fig = Figure(figsize=(3.4 * panels, 3.4))
    axes = fig.subplots(1, panels, squeeze=False)[0]
    milestone_years = sorted(int(m["year"]) for m in milestone_rules.dated(dict(profile)))
    palette = ["#c62828", "#ef6c00", "#6a1b9a", "#1565c0", "#00838f", "#5d4037", "#ad1457"]

    ends: dict[Any, list[tuple[float, float, str, str]]] = {ax: [] for ax in axes}  # direct labels per panel

    def draw(ax, series: pd.DataFrame, colour: str, label: str | None, width: float, end: str = "") -> None:
        s = series.sort_values("year")
        if end and len(s):
            ends[ax].append((float(s["year"].iloc[-1]), float(s["value"].iloc[-1]), end, colour))
        observed = s[s["status"].map(light_of) == "unknown"]
        ahead = s[s["status"].map(light_of) != "unknown"]
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
            flagged = series["status"].map(light_of).isin(["fail", "at_risk"]).any()
            if flagged:
                name = str(ind).removesuffix("_cv")
                short = indicator_spec(profile, name).get("short", "")
                draw(ax, series, palette[colour_k % len(palette)], name, 1.6, f"{name} {short}".strip())
                colour_k += 1
            else:
                draw(ax, series, COLOURS["unknown"], "其他指标" if others else None, 0.8, str(ind).removesuffix("_cv"))
                others = False
        limit = float(part["threshold"].dropna().iloc[0]) if part["threshold"].notna().any() else None
        if limit is not None:
            ax.axhline(limit, color=COLOURS["threshold"], lw=1, ls="--")
            ax.annotate(f"限值 {limit:.2f}", (0.99, limit), xycoords=("axes fraction", "data"), fontsize=7,
                        ha="right", va="bottom", xytext=(0, 2), textcoords="offset points")
        ax.set_title(f"{section_zh(section)}差异系数", fontsize=10)
        ax.set_ylim(bottom=0)
    if len(share):
        ax = axes[-1]
        for k, (section, series) in enumerate(share.groupby("section", sort=False)):
            draw(ax, series.assign(value=series["value"] * 100, low=series["low"] * 100, high=series["high"] * 100),
                 [COLOURS["line"], "#6a1b9a"][k % 2], section_zh(section), 1.6, section_zh(section))
        ax.axhline(100, color=COLOURS["threshold"], lw=1, ls="--")
        # left end: the right end is where the lines reach 100% and carry their own labels
        ax.annotate("标准 100%", (0.01, 100), xycoords=("axes fraction", "data"), fontsize=7, ha="left",
                    va="top", xytext=(0, -2), textcoords="offset points")
        ax.set_ylim(0, 105)
        ax.set_title("校校达标学校比例（%）", fontsize=10)
    data_years = pd.concat([cv["year"], share["year"]]).dropna().astype(int)
    for ax in axes:
        for y in year_axis(ax, data_years, milestone_years):
            ax.axvline(y, color=COLOURS["unknown"], lw=0.8, ls=":")
        ax.tick_params(labelsize=7)
        _label_line_ends(ax, ends[ax])
    projected = (pd.concat([cv["status"], share["status"]]).map(light_of) != "unknown").any()
    fig.suptitle("实线为实际值，虚线为预测值，阴影为预测区间，点线为时间节点" if projected else
                 "本年实际值（未做预测），点线为时间节点", fontsize=8, color="#5f6b7a")
    fig.tight_layout()
    return fig


def _label_line_ends(ax: Any, ends: list[tuple[float, float, str, str]], gap: float = 0.055) -> None:
    """Name each line at its last point, right of the plot (a legend alone makes a reader match colours);
    labels closer than ``gap`` of the y range are pushed apart so none hides another."""
    from matplotlib.transforms import offset_copy

    if not ends:
        return
    low, high = ax.get_ylim()
    step = gap * (high - low)
    ends = sorted(ends, key=lambda e: e[1])
    ys = [e[1] for e in ends]
    for k in range(1, len(ys)):
        ys[k] = max(ys[k], ys[k - 1] + step)
    ys[-1] = min(ys[-1], high)
    for k in range(len(ys) - 2, -1, -1):
        ys[k] = min(ys[k], ys[k + 1] - step)
    shift = offset_copy(ax.transData, fig=ax.figure, x=4, y=0, units="points")
    for (x, _, text, colour), y in zip(ends, ys, strict=True):
        ax.text(x, y, text, transform=shift, fontsize=7, color=colour, ha="left", va="center", clip_on=False)


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
    milestone_years = {int(m["year"]) for m in milestone_rules.dated(dict(profile))}
    deadline = f"{year} 年前" if year in milestone_years else "尽快"
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
        spec = indicator_spec(profile, ind)
        amount = "" if math.isnan(total) or total <= 0 else f"，共需 {_amount_text(total, unit)}"
        what = f"{k.get('action', '')}（{ind} {spec.get('short', '')}）：{len(names)} 所学校{amount}——{shown}"
        lead = join_names(unit_names(part["lead_department"].dropna().tolist())) if "lead_department" in part else ""
        coop = (join_names(unit_names(part["cooperating_departments"].dropna().tolist()))
                if "cooperating_departments" in part else "")
        if not lead:
            lead_l, coop_l = departments(profile, ind)
            lead, coop = join_names(lead_l), coop or join_names(coop_l)
        rows.append({"priority": int(k.get("priority", 4)) if not is_missing(k.get("priority")) else 4,
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
    first_year = min((int(m["year"]) for m in milestone_rules.dated(dict(profile))), default=None)
    deadline = f"{first_year} 年前" if first_year else ""
    if results.items is not None:
        for _, r in failing_items(results.items).iterrows():
            veto = str(r.get("area", "")) == "veto" or str(r.get("status", "")) == VETO
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
            for _, r in results.cv[results.cv["passed"].map(light_of) == "fail"].iterrows():
                schools = _top_contributors(results.cv_contributions, r["section"], r["indicator"])
                lead, coop = departments(profile, r["indicator"])
                spec = indicator_spec(profile, r["indicator"])
                what = (f"缩小{section_zh(r['section'])}“{spec.get('short', r['indicator'])}”校际差距：差异系数 "
                        f"{fmt_number(r['cv'], 3)}，须 {COMPARATOR_ZH.get(str(r.get('comparator', '<=')), '≤')} "
                        f"{fmt_number(r['limit'], 2)}" + (f"；优先补齐 {schools}" if schools else ""))
                rows.append({"rank": 3, "action": what, "lead": join_names(lead), "cooperating": join_names(coop),
                             "deadline": deadline, "source": "cv", "weight": float(r["cv"] - r["limit"]),
                             "anchor": cv_anchor(r["section"], r["indicator"])})
        if results.school_indicators is not None:
            fails = failing_schools(results.school_indicators, profile)
            counts: dict[str, list[str]] = {}
            for r in fails.itertuples(index=False):
                for ind in filter(None, r.missed.split(";")):
                    counts.setdefault(ind, []).append(str(r.school_name))
            for ind, names in counts.items():
                lead, coop = departments(profile, ind)
                unique = list(dict.fromkeys(names))
                shown = "、".join(unique[:4]) + (f" 等 {len(unique)} 所" if len(unique) > 4 else "")
                rows.append({"rank": 2, "action": f"补齐 {ind} {indicator_spec(profile, ind).get('short', '')}："
                             f"{len(unique)} 所学校未达标——{shown}", "lead": join_names(lead), "cooperating": join_names(coop),
                             "deadline": deadline, "source": "school_indicators", "weight": float(len(unique))})
    cols = ["rank", "action", "lead", "cooperating", "deadline", "source", "weight", "anchor"]
    out = pd.DataFrame(rows, columns=cols)
    # only a CV has its own worked block; the other actions link to their dataset
    out["anchor"] = [a if isinstance(a, str) else "" for a in out["anchor"]]
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
        return wrap_fragment(f"<p>{light('pass', '')}未发现需要整改的事项，保持并巩固现有水平。</p>")
    items = []
    for r in actions.itertuples(index=False):
        dept = f"牵头：{esc(r.lead) or '待明确'}" + (f"；配合：{esc(r.cooperating)}" if r.cooperating else "")
        when = f"；时限：{esc(r.deadline)}" if r.deadline else ""
        anchor = getattr(r, "anchor", "") or audit_anchor(r.source)
        items.append(f"<li>{esc(r.action)} {anchor_link('〔依据〕', anchor)}"
                     f"<br><span class=\"dept\">{dept}{when}</span></li>")
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
    return wrap_fragment(f'<ol class="actions">{"".join(items)}</ol>{note}')


def earlier_folder_items(items: pd.DataFrame | None) -> list[tuple[str, str]]:
    """``(item number, evidence)`` of each item whose data came from an earlier year folder (Q9: a monitoring round
    handed in with an earlier year), once per item number."""
    if items is None or "evidence" not in items:
        return []
    mark = re.compile(re.escape(EARLIER_FOLDER).replace(re.escape("{year}"), r"\d{4}"))
    out: dict[str, str] = {}
    for _, r in items.iterrows():
        evidence = r.get("evidence")
        if isinstance(evidence, str) and mark.search(evidence):
            out.setdefault(item_label(r).split(" ")[0], evidence)
    return list(out.items())


def data_notes(excluded: pd.DataFrame | None, validation: pd.DataFrame | None, items: pd.DataFrame | None = None,
               max_names: int = 12) -> str:
    """Scope and data quality (数据说明): schools left out of R1–R7, data taken from an earlier year folder (with
    ``items``) and the data problems found."""
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
    for number, evidence in earlier_folder_items(items):
        parts.append(f"<p>{esc(number)} 的依据来自往年文件夹：{esc(evidence)}；本年文件夹没有更新的结果，"
                     "采用不晚于本年的最近一次。</p>")
    if validation is not None:
        sev = validation["severity"].astype(str).value_counts() if "severity" in validation else pd.Series()
        n_err, n_warn = int(sev.get("error", 0)), int(sev.get("warning", 0))
        if len(validation) == 0:
            parts.append("<p>数据校验未发现问题。</p>")
        else:
            parts.append(f"<p>数据校验：错误 {num_link(str(n_err), 'validation')} 项，提示 "
                         f"{num_link(str(n_warn), 'validation')} 项（逐条见 {RESULTS_XLSX}“数据问题”表）。</p>")
    else:
        parts.append(f'<p class="missing">未找到{esc(catalog.dataset("validation").title_zh)}。</p>')
    parts.append(f'<p class="note">全部计算过程、输入文件及其 SHA-256 校验值见 <a href="{AUDIT_FILE}">审计报告</a>。</p>')
    return wrap_fragment("".join(parts))
