"""The index page (索引页): every generated county-year with its verdict and links to its reports."""

from __future__ import annotations

from pathlib import Path

from analysis import config
from analysis.data import catalog
from analysis.data import files as aio
from analysis.report.format import (
    AUDIT_FILE,
    FONT_PLACEHOLDER,
    HEADLINE_ZH,
    INDEX_FILE,
    MANIFEST_FILE,
    RESULTS_XLSX,
    SUMMARY_FILE,
    esc,
    light,
    template_text,
)
from analysis.report.fragments import verdict_line, verdict_status
from analysis.report.render import beijing_time, run_stamp, with_font


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
                            "generated": beijing_time(run_stamp(manifest)), "files": files})
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
                    f"<td>{int(e['year'])}</td><td>{light(e['status'], HEADLINE_ZH[e['status']])}"
                    f"<br><span class=\"note\">{esc(headline)}</span></td><td>{links}</td>"
                    f"<td class=\"note\">{esc(e['generated'])}</td></tr>")
    body = ("".join(rows) or '<tr><td colspan="5">尚未生成任何报告：运行 <code>make run</code>。</td></tr>')
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        "<title>县域义务教育优质均衡发展评估 · 报告索引</title>\n"
        f"<style>\n{FONT_PLACEHOLDER}\n</style>\n<style>\n{template_text('page.css')}</style>\n"
        f"<style>\n{template_text('fragments.css')}</style>\n</head>\n<body>\n<main class=\"rpt\">\n"
        '<header class="report-head"><div class="kicker">报告索引</div><h1>县域义务教育优质均衡发展评估</h1></header>\n'
        '<table class="index"><thead><tr><th>县（区）</th><th>年份</th><th>结论</th><th>报告</th><th>生成时间</th>'
        f"</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n</main>\n</body>\n</html>\n"
    )


def write_index(reports_root: Path, processed_root: Path | None = None) -> Path:
    """Write ``reports/index.html`` listing every county and year generated, with verdict and links."""
    reports_root = Path(reports_root)
    reports_root.mkdir(parents=True, exist_ok=True)
    path = reports_root / INDEX_FILE
    path.write_text(with_font(index_html(index_entries(reports_root, processed_root))), encoding="utf-8")
    return path
