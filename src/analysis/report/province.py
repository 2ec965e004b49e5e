"""The province page (全省汇总页): counties side by side on verdict, CVs against their limits, compliant shares and
milestone status, ranked, with links to each county's reports. Every text from a county is HTML-escaped."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import SECTION_ZH, SECTIONS
from analysis.data import catalog


def _esc(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else html.escape(str(value), quote=True)


def _latest_year(processed_root: Path, county: str, years: list[int] | None) -> int | None:
    folder = processed_root / county
    have = sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()) if folder.is_dir() else []
    if years:
        have = [y for y in have if y in set(years)]
    return have[-1] if have else None


def _optional(folder: Path, name: str) -> Any:
    try:
        return catalog.read(folder, name)
    except (FileNotFoundError, ValueError):
        return None


def county_rows(processed_root: Path, counties: list[str], year: int | list[int] | None = None) -> list[dict]:
    """One summary row per county from its processed outputs of ``year`` (or its latest year)."""
    years = [year] if isinstance(year, int) else year
    rows = []
    for county in counties:
        y = _latest_year(processed_root, county, years)
        row: dict[str, Any] = {"county": county, "year": y, "name": county, "verdict": "暂无结果", "status": "unknown",
                               "n_failing": None, "cv": {}, "share": {}, "milestone": "", "cv_ok": None}
        if y is None:
            rows.append(row)
            continue
        folder = processed_root / county / str(y)
        verdict = _optional(folder, "verdict") or {}
        row.update(name=verdict.get("county_name", county), verdict=verdict.get("verdict", "暂无结论"),
                   status=verdict.get("status", "unknown"), n_failing=len(verdict.get("failing_items", []) or []))
        cv = _optional(folder, "cv")
        if cv is not None and len(cv):
            row["cv"] = {(r.section, r.indicator): (float(r.cv), float(r.limit), bool(r.passed)) for r in cv.itertuples()}
            row["cv_ok"] = int(cv["passed"].astype(bool).sum()), len(cv)
        si = _optional(folder, "school_indicators")
        if si is not None and len(si):
            for section in SECTIONS:
                part = si[si["section"] == section]
                if len(part):
                    row["share"][section] = float(part["school_pass"].astype(bool).mean())
        milestones = _optional(folder, "milestones")
        if milestones is not None and len(milestones):
            first = milestones[milestones["milestone_year"] == milestones["milestone_year"].min()]
            counts = first["status"].value_counts()
            row["milestone"] = (f"{int(first['milestone_year'].iloc[0])} 年：预计达标 {int(counts.get('on_track', 0))}、"
                                f"有风险 {int(counts.get('at_risk', 0))}、预计不达标 {int(counts.get('off_track', 0))}")
        rows.append(row)
    return rows


def rank(rows: list[dict]) -> list[dict]:
    """Best first: a passing verdict, then fewer failing items, more CVs within their limit, higher compliant share."""
    def key(r: dict) -> tuple:
        share = sum(r["share"].values()) / len(r["share"]) if r["share"] else -1.0
        ok = r["cv_ok"][0] / r["cv_ok"][1] if r["cv_ok"] else -1.0
        failing = r["n_failing"] if r["n_failing"] is not None else 10**6
        return (r["status"] != "pass", failing, -ok, -share, r["county"])

    return sorted(rows, key=key)


def _cv_cells(row: dict, indicators: list[tuple[str, str]]) -> str:
    cells = []
    for section, ind in indicators:
        value = row["cv"].get((section, ind))
        if value is None:
            cells.append('<td class="n na">—</td>')
            continue
        cv, limit, passed = value
        cells.append(f'<td class="n {"ok" if passed else "bad"}" title="限值 {limit:g}">{cv:.3f}</td>')
    return "".join(cells)


def province_html(province: str, rows: list[dict], links: dict[str, dict[str, str]]) -> str:
    """The page: a ranking table (verdict, failing items, compliant shares, CVs within limits, first milestone) and
    every CV of every county against its limit."""
    ranked = rank(rows)
    indicators = sorted({k for r in rows for k in r["cv"]}, key=lambda k: (SECTIONS.index(k[0]) if k[0] in SECTIONS
                                                                              else 9, k[1]))
    n_pass = sum(r["status"] == "pass" for r in rows)
    head = "".join(f"<th>{_esc(SECTION_ZH.get(s, s))}{_esc(i)}</th>" for s, i in indicators)
    main_rows, cv_rows = [], []
    for k, r in enumerate(ranked, 1):
        link = links.get(r["county"], {})
        files = "　".join(f'<a href="{_esc(href)}">{_esc(label)}</a>' for label, href in link.items()) or "—"
        shares = "　".join(f"{_esc(SECTION_ZH.get(s, s))} {v:.0%}" for s, v in r["share"].items()) or "—"
        ok = f"{r['cv_ok'][0]}/{r['cv_ok'][1]}" if r["cv_ok"] else "—"
        cls = "ok" if r["status"] == "pass" else ("bad" if r["status"] == "fail" else "na")
        main_rows.append(
            f"<tr><td class=\"n\">{k}</td><td>{_esc(r['name'])}<br><span class=\"note\">{_esc(r['county'])}</span></td>"
            f"<td class=\"n\">{_esc(r['year'] or '—')}</td><td class=\"{cls}\">{_esc(r['verdict'])}</td>"
            f"<td class=\"n\">{_esc(r['n_failing'] if r['n_failing'] is not None else '—')}</td><td>{shares}</td>"
            f"<td class=\"n\">{ok}</td><td>{_esc(r['milestone'] or '—')}</td><td>{files}</td></tr>")
        cv_rows.append(f"<tr><td>{_esc(r['name'])}</td>{_cv_cells(r, indicators)}</tr>")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(province)} 县域义务教育优质均衡发展评估汇总</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5rem; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }}
th {{ background: #e8eef5; position: sticky; top: 0; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.ok {{ background: #e6f4ea; }} td.bad {{ background: #f8d7da; color: #9c0006; font-weight: bold; }}
td.na {{ color: #888; }} .note {{ color: #666; font-size: 0.8rem; }}
.wrap {{ overflow-x: auto; }} td:first-child, th:first-child {{ position: sticky; left: 0; background: #fff; }}
</style></head><body>
<h1>{_esc(province)}：县域义务教育优质均衡发展评估汇总</h1>
<p>{len(rows)} 个县（区），其中评估结论为达到优质均衡的 {n_pass} 个。排名：先看结论，再看未达标事项数、
差异系数达标项数和校校达标比例。</p>
<div class="wrap"><table><thead><tr><th>名次</th><th>县（区）</th><th>年份</th><th>结论</th><th>未达标事项</th>
<th>校校达标比例</th><th>差异系数达标</th><th>第一个时间节点</th><th>报告</th></tr></thead>
<tbody>{"".join(main_rows)}</tbody></table></div>
<h2>各县差异系数与限值（红色为超过限值；悬停显示限值）</h2>
<div class="wrap"><table><thead><tr><th>县（区）</th>{head}</tr></thead><tbody>{"".join(cv_rows)}</tbody></table></div>
</body></html>
"""


def write_province_page(reports_root: Path, processed_root: Path, province: str, years: list[int] | None = None
                        ) -> Path:
    """``reports/<province>/index.html`` over every county with outputs under the two roots."""
    reports_root, processed_root = Path(reports_root), Path(processed_root)
    counties = sorted(p.name for p in processed_root.iterdir() if p.is_dir() and not p.name.startswith(".")
                      ) if processed_root.is_dir() else []
    rows = county_rows(processed_root, counties, years)
    links = {}
    for r in rows:
        if r["year"] is None:
            continue
        base = reports_root / r["county"] / str(r["year"])
        links[r["county"]] = {label: f"{r['county']}/{r['year']}/{name}" for label, name in (
            ("摘要", catalog.SUMMARY_FILE), ("审计", catalog.AUDIT_FILE), ("Excel", catalog.dataset("results").file))
            if (base / name).exists()}
    reports_root.mkdir(parents=True, exist_ok=True)
    path = reports_root / catalog.INDEX_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(province_html(province, rows, links), encoding="utf-8")
    tmp.replace(path)
    return path
