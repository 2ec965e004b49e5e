"""The auditor's trail (审计线索) in audit.html: from a number of the summary to its calculation.

Two kinds of worked blocks, each carrying the anchor id the summary links to (scheme in
:mod:`analysis.report.format`):

- :func:`cv_worked_tables` — per section and indicator the weighted CV school by school (差异系数逐校演算):
  nᵢ, xᵢ, nᵢ/N, xᵢ − x̄, (xᵢ − x̄)², (nᵢ/N)(xᵢ − x̄)² and its share of S², then x̄, S, CV = S/x̄, limit, 判定;
- :func:`school_pages` — per school-section (逐校计算过程): the raw rows (file, sheet, row), the split of a combined
  school, R1–R7 with formula, value, standard, floor (85%基本值) and met, the 6+1 rule, and the school's part in
  each CV of its section; with a search box (inline script, no URL) and a compact index.

DataFrames in, HTML out; the numbers come from :mod:`analysis.evaluate.variation` and the step's frames. Every
text from an input file is escaped. The HTML stays small: one row per school per table, no frame repeated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analysis.config import SECTIONS
from analysis.data.columns import SCHOOL_TYPE_ZH
from analysis.evaluate.variation import cv_steps, school_cv_shares
from analysis.report.excel import header_of
from analysis.report.format import (
    COMPARATOR_ZH,
    URBAN_RURAL_ZH,
    cv_anchor,
    esc,
    fmt_number,
    fmt_standard,
    indicator_ids,
    indicator_spec,
    school_anchor,
    section_zh,
)
from analysis.standards.compare import meets
from analysis.standards.status import is_missing, light_of

CV_DIGITS = 4  # decimals of a CV in the worked tables (the summary shows 3)
SEARCH_ID, COUNT_ID, CONTAINER_ID = "trail-search", "trail-count", "trail-schools"
# The only script of the reports: filters the school blocks and the index by code or name. Constant text (no
# input reaches it), so a test can tell it from anything injected; no URL, it works offline.
SEARCH_SCRIPT = f"""(function () {{
  var box = document.getElementById("{SEARCH_ID}"), count = document.getElementById("{COUNT_ID}");
  if (!box) return;
  var items = document.querySelectorAll("#{CONTAINER_ID} [data-key]");
  box.addEventListener("input", function () {{
    var q = box.value.trim().toLowerCase(), shown = 0;
    items.forEach(function (el) {{
      var hit = !q || el.getAttribute("data-key").indexOf(q) >= 0;
      el.hidden = !hit;
      if (hit && el.tagName === "SECTION") shown += 1;
    }});
    count.textContent = q ? "找到 " + shown + " 个学校（学段）" : "";
  }});
}})();"""


def sig(value: Any, digits: int = 6) -> str:
    """About ``digits`` significant digits in fixed notation (never 1e+06), trailing zeros dropped and whole
    numbers (counts, stocks) without decimals: enough to redo a sum by hand."""
    if is_missing(value):
        return "—"
    x = float(value)
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = min(max(digits - 1 - math.floor(math.log10(abs(x))), 0), 12)
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cv_text(value: Any) -> str:
    return fmt_number(value, CV_DIGITS)


def _unit(profile: Mapping, ind: str) -> str:
    return str(indicator_spec(profile, ind).get("unit", ""))


def _indicator_title(profile: Mapping, ind: str) -> str:
    spec = indicator_spec(profile, ind)
    extra = "" if ind in profile.get("resources", {}) else "（省定，不计入7项）"
    return f"{esc(ind)} {esc(spec.get('zh', ''))}（{esc(spec.get('unit', ''))}）{extra}"


def cv_worked_table(steps: pd.DataFrame, row: Mapping, profile: Mapping) -> str:
    """One worked CV (``steps`` from :func:`analysis.evaluate.variation.cv_steps`, ``row`` its cv.csv row) as a
    block with the anchor ``cv-<section>-<indicator>``."""
    section, ind = str(row["section"]), str(row["indicator"])
    body = []
    for r in steps.itertuples(index=False):
        name = f'<a href="#{school_anchor(r.school_code, section)}">{esc(r.school_name)}</a>'
        body.append(f"<tr><td>{esc(r.school_code)}</td><td>{name}</td><td>{fmt_number(r.students, 0)}</td>"
                    f"<td>{sig(r.value)}</td><td>{sig(r.weight)}</td><td>{sig(r.deviation)}</td>"
                    f"<td>{sig(r.squared)}</td><td>{sig(r.contribution)}</td>"
                    f"<td>{fmt_number(r.share_of_variance, 1, percent=True)}</td></tr>")
    n_total, variance = float(steps["students"].sum()), float(steps["contribution"].sum())
    foot = (f'<tr><th colspan="2">合计</th><th>N = {fmt_number(n_total, 0)}</th><th></th>'
            f'<th>{sig(steps["weight"].sum())}</th><th></th><th></th><th>S² = {sig(variance)}</th>'
            f"<th>100%</th></tr>")
    comparator = COMPARATOR_ZH.get(str(row.get("comparator", "<=")), "≤")
    verdict = "达标" if light_of(row.get("passed")) == "pass" else "未达标"
    note = f"；{esc(row['note'])}" if isinstance(row.get("note"), str) and row.get("note") else ""
    result = (f'<p class="trail-result">x̄ = Σ(nᵢ/N)·xᵢ = <b>{sig(row["weighted_mean"])}</b> {esc(_unit(profile, ind))}；'
              f"S = √S² = <b>{sig(row['std'])}</b>；CV = S ÷ x̄ = <b>{_cv_text(row['cv'])}</b>；"
              f"限值 {comparator} {fmt_number(row['limit'], 2)}；判定：<b>{verdict}</b>"
              f"（参评学校 {int(row['n_schools'])} 所{note}）</p>")
    head = ("<tr><th>学校标识码</th><th>学校名称</th><th>nᵢ 学生数</th><th>xᵢ 指标值</th><th>nᵢ/N 权重</th>"
            "<th>xᵢ − x̄</th><th>(xᵢ − x̄)²</th><th>(nᵢ/N)(xᵢ − x̄)²</th><th>占 S² 比例</th></tr>")
    return (f'<section class="trail-cv" id="{cv_anchor(section, ind)}">'
            f"<h4>{esc(section_zh(section))} · {_indicator_title(profile, ind)} · 差异系数逐校演算</h4>"
            f'<table class="trail"><thead>{head}</thead><tbody>{"".join(body)}</tbody>'
            f"<tfoot>{foot}</tfoot></table>{result}</section>")


def cv_worked_tables(school_indicators: pd.DataFrame, cv: pd.DataFrame, profile: Mapping) -> str:
    """Every CV of ``cv`` (cv.csv) worked school by school, one block per section and indicator, in its order."""
    blocks = [cv_worked_table(cv_steps(school_indicators, str(r["indicator"]), str(r["section"])), r, profile)
              for _, r in cv.iterrows()]
    return f'<div class="trail-cvs">{"".join(blocks)}</div>'


# ---- school by school -----------------------------------------------------------------------------------------

def _where(inputs: pd.DataFrame | None, table: str) -> str:
    """``学校基本情况.xlsx［学校基本情况］`` for a cleaned table, from the cleaning step's list of files read."""
    if inputs is None or "table" not in inputs:
        return ""
    hit = inputs[inputs["table"] == table]
    if hit.empty:
        return ""
    file, sheet = hit.iloc[0].get("file"), hit.iloc[0].get("sheet")
    return esc(file) + (f"［{esc(sheet)}］" if not is_missing(sheet) and str(sheet) else "")


def _rows_text(rows: list[Any]) -> str:
    return "、".join(str(int(r)) for r in rows if not is_missing(r))


def _source_line(code: Any, section: str, schools: pd.DataFrame | None, teacher_rows: Mapping,
                 inputs: pd.DataFrame | None) -> str:
    parts = []
    if schools is not None and "source_row" in schools and code in schools.index:
        parts.append(f"{_where(inputs, 'schools')} 第 {_rows_text([schools.at[code, 'source_row']])} 行")
    rows = teacher_rows.get((code, section), [])
    if rows:
        parts.append(f"{_where(inputs, 'teachers')} 第 {_rows_text(rows)} 行（{esc(section_zh(section))}教师）")
    elif teacher_rows:
        parts.append(f"{_where(inputs, 'teachers')} 无本学段教师行（教师类存量按 0 计）")
    return f"<p>原始数据：{'；'.join(parts)}。</p>" if parts else ""


def _split_line(r: Any, school: pd.Series | None, profile: Mapping, numerators: list[str]) -> str:
    """The section split of a combined school with its numbers, or that the stocks are not split."""
    weights = profile["split_weights"]
    counts = {}
    if school is not None:
        counts = {s: 0.0 if is_missing(school.get(f"students_{s}")) else float(school[f"students_{s}"])
                  for s in weights}
    taught = [s for s, n in counts.items() if n > 0]
    share = float(r.share)
    if school is None or len(taught) < 2:
        return f"<p>学段拆分：单一学段，设施类存量不拆分（份额 {sig(share)}）。</p>"
    total = sum(counts[s] * float(weights[s]) for s in taught)
    own = counts.get(str(r.section), 0.0) * float(weights[str(r.section)])
    terms = "＋".join(f"{esc(section_zh(s))} {fmt_number(counts[s], 0)} 人 × {float(weights[s]):g}" for s in taught)
    stocks = []
    for field in numerators:
        if field not in profile["split_fields"] or field not in school:
            continue
        raw = float(school[field])
        minus = ""
        if field == "teaching_rooms_m2" and profile.get("teaching_rooms_exclude_indoor_sports"):
            indoor = 0.0 if is_missing(school.get("indoor_sports_rooms_m2")) else float(school["indoor_sports_rooms_m2"])
            raw, minus = raw - indoor, f"（已减室内体育用房 {sig(indoor)}）"
        stocks.append(f"{esc(header_of(field))} {sig(raw)}{minus} × {sig(share)} = {sig(getattr(r, field))}")
    return (f"<p>学段拆分（{esc(SCHOOL_TYPE_ZH.get(str(school.get('school_type')), school.get('school_type')))}）："
            f"加权学生数 = {terms} = {sig(total)}；本学段份额 = {sig(own)} ÷ {sig(total)} = <b>{sig(share)}</b>。"
            f"设施类存量按份额拆分：{'；'.join(stocks)}。教师类不拆分，取教师表本学段行。</p>")


def _indicator_rows(r: Any, profile: Mapping, shares: Mapping) -> str:
    rule = profile["school_rule"]
    floor = float(rule["floor_ratio"])
    rows = []
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        value, std = float(getattr(r, ind)), float(getattr(r, f"{ind}_std"))
        stock, per = getattr(r, spec["numerator"]), spec["per"]
        formula = f"{sig(stock)}{f' × {per}' if per != 1 else ''} ÷ {fmt_number(r.students, 0)}"  # see the legend
        core = ind in profile.get("resources", {})
        if meets(value, std, ">="):
            met = "<td>达标</td>"
        else:
            below = "不低于" if meets(value, std * floor, ">=") else "低于"
            met = f'<td class="miss">未达标（{below}{floor:.0%}）</td>'
        part = shares.get((ind, str(r.section), r.school_code))
        if part is None:
            contrib = "—"
        else:
            side = "高于" if part[1] > 0 else "低于" if part[1] < 0 else "等于"
            contrib = (f'<a href="#{cv_anchor(r.section, ind)}">{fmt_number(part[0], 1, percent=True)}</a>'
                       f"（{side}均值）")
        label = f"{esc(ind)} {esc(spec.get('short', ''))}" + ("" if core else "（省定）")
        rows.append(f"<tr><td>{label}</td><td>{formula}</td><td>{sig(value)}</td>"
                    f"<td>{fmt_standard(std)} {esc(spec.get('unit', ''))}</td>"
                    f"<td>{sig(std * floor) if core else '—'}</td>{met}<td>{contrib}</td></tr>")
    head = (f"<tr><th>指标</th><th>算式</th><th>计算值</th><th>标准</th>"
            f"<th>{floor:.0%}基本值</th><th>判定</th><th>占本学段该项 S² 比例</th></tr>")
    return f'<table class="trail"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def formula_legend(profile: Mapping) -> str:
    """What each indicator's formula multiplies and divides, written once above the school blocks (each block
    shows only its numbers): stock (after the split) × per ÷ students of the section."""
    rows = []
    for ind in indicator_ids(profile):
        spec = indicator_spec(profile, ind)
        per = f" × {spec['per']}" if spec["per"] != 1 else ""
        rows.append(f"<tr><td>{esc(ind)} {esc(spec.get('short', ''))}</td>"
                    f"<td>{esc(header_of(spec['numerator']))}{per} ÷ 本学段学生数（人）</td></tr>")
    return (f'<table class="trail"><thead><tr><th>指标</th><th>各校算式（设施类存量为拆分后的值）</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _rule_line(r: Any, profile: Mapping) -> str:
    rule = profile["school_rule"]
    total = len(profile.get("resources", {}))
    passed = light_of(r.school_pass) == "pass"
    return (f"<p>“{int(rule['min_met'])}+{total - int(rule['min_met'])}”规则：{total} 项中至少 {int(rule['min_met'])} "
            f"项达标，其余不低于标准的 {float(rule['floor_ratio']):.0%}。本校达标 {esc(r.n_met)} 项；{esc(r.reason)}。"
            f"结论：<b>{'达标' if passed else '不达标'}</b>。</p>")


def _key(code: Any, name: Any) -> str:
    """What the search box matches: code and name, lower-case (the script lower-cases the query)."""
    return f"{code} {name}".lower()


def school_block(r: Any, profile: Mapping, shares: Mapping, school: pd.Series | None = None,
                 source: str = "") -> str:
    """The worked block of one school-section (a row of school_indicators) with its anchor and search key."""
    numerators = [indicator_spec(profile, i)["numerator"] for i in indicator_ids(profile)]
    place = "；".join(esc(t) for t in (SCHOOL_TYPE_ZH.get(str(r.school_type), r.school_type),
                                       URBAN_RURAL_ZH.get(str(getattr(r, "urban_rural", "")), ""),
                                       getattr(r, "township", "")) if not is_missing(t) and str(t))
    return (f'<section class="trail-school" id="{school_anchor(r.school_code, r.section)}" '
            f'data-key="{esc(_key(r.school_code, r.school_name))}">'
            f"<h4>{esc(r.school_name)}（{esc(r.school_code)}）· {esc(section_zh(r.section))}</h4>"
            f"<p>{place}；本学段学生数 nᵢ = {fmt_number(r.students, 0)} 人。</p>{source}"
            f"{_split_line(r, school, profile, numerators)}{_indicator_rows(r, profile, shares)}"
            f"{_rule_line(r, profile)}</section>")


def school_pages(school_indicators: pd.DataFrame, profile: Mapping, schools: pd.DataFrame | None = None,
                 teachers: pd.DataFrame | None = None, inputs: pd.DataFrame | None = None) -> str:
    """逐校计算过程: a search box, an index (school → link) and one worked block per school-section row of
    ``school_indicators``; ``schools``/``teachers``/``inputs`` (cleaned tables and the list of files read) give
    the raw rows and the split, each optional."""
    si = school_indicators.copy()
    si["_order"] = [SECTIONS.index(s) if s in SECTIONS else len(SECTIONS) for s in si["section"].astype(str)]
    si = si.sort_values(["school_code", "_order"], kind="stable")
    shares = {(r.indicator, r.section, r.school_code): (r.share_of_variance, r.deviation)
              for r in school_cv_shares(school_indicators, dict(profile)).itertuples(index=False)}
    by_code = schools.drop_duplicates("school_code").set_index("school_code") if schools is not None else None
    teacher_rows: dict[tuple[Any, str], list[Any]] = {}
    if teachers is not None and "source_row" in teachers:
        for t in teachers.itertuples(index=False):
            teacher_rows.setdefault((t.school_code, str(t.section)), []).append(t.source_row)
    index, blocks = [], []
    for r in si.itertuples(index=False):
        school = by_code.loc[r.school_code] if by_code is not None and r.school_code in by_code.index else None
        source = _source_line(r.school_code, str(r.section), by_code, teacher_rows, inputs)
        blocks.append(school_block(r, profile, shares, school, source))
        index.append(f'<a href="#{school_anchor(r.school_code, r.section)}" data-key="'
                     f'{esc(_key(r.school_code, r.school_name))}">{esc(r.school_name)}（{esc(r.school_code)}）'
                     f"{esc(section_zh(r.section))}</a>")
    search = (f'<p class="no-print"><label>查找学校：<input type="search" id="{SEARCH_ID}" '
              f'placeholder="学校标识码或名称" autocomplete="off"></label> <span id="{COUNT_ID}"></span></p>')
    return (f'<div class="trail-schools" id="{CONTAINER_ID}">{search}'
            f'<nav class="trail-index">{"".join(index)}</nav>{formula_legend(profile)}{"".join(blocks)}</div>'
            f"<script>{SEARCH_SCRIPT}</script>")
