"""Small formatting helpers of the reports (显示格式, display only: stored values are never rounded), the
labels they use, escaping, traffic lights (交通灯) and the links from a number to the audit report."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.config import SECTION_ZH
from analysis.data import catalog
from analysis.standards.status import (
    LIGHT_ZH,
    LIGHTS,
    is_missing,
    light_of,
)

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "county_report"
TEMPLATE_FILE = "report.html.j2"
SUMMARY_FILE = catalog.SUMMARY_FILE
AUDIT_FILE = catalog.AUDIT_FILE
INDEX_FILE = catalog.INDEX_FILE
MANIFEST_FILE = catalog.MANIFEST_FILE
RESULTS_XLSX = catalog.dataset("results").file
FONT_FAMILY = "CJK Report"
FONT_PLACEHOLDER = "/*@font-face: filled in by analysis.report.render*/"

# The headline of the banner per light (the lights and their labels are analysis.standards.status).
HEADLINE_ZH = {"pass": "达到优质均衡", "at_risk": "当前达标，后续有风险", "fail": "未达到优质均衡",
               "unknown": "暂无结论"}
AREA_ZH = {
    "resources": "资源配置", "guarantee": "政府保障程度", "government": "政府保障程度", "quality": "教育质量",
    "recognition": "社会认可度", "veto": "不予认定（一票否决）事项",
}
URBAN_RURAL_ZH = {"urban": "城区", "town": "镇区", "rural": "乡村"}
COMPARATOR_ZH = {">=": "≥", ">": "＞", "<=": "≤", "<": "＜", "==": "=", "=": "="}


def esc(value: Any) -> str:
    """HTML-escape any value for text and attributes; missing → empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return html.escape(str(value), quote=True)


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def fmt_number(value: Any, digits: int = 2, percent: bool = False) -> str:
    """Fixed decimals with thousands separators (``—`` when missing); ``percent`` multiplies by 100."""
    if is_missing(value):
        return "—"
    x = _as_float(value)
    if x is None:
        return esc(value)
    if percent:
        return f"{x * 100:,.{digits}f}%"
    return f"{x:,.{digits}f}"


def fmt_value(value: Any, threshold: Any = None) -> str:
    """An item's value as given: numbers shown as percentages when the standard is a rate (0 < t ≤ 1)."""
    if is_missing(value):
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
    if is_missing(value):
        return "—"
    x = float(value)
    return f"{x:,.0f}" if x.is_integer() else f"{x:g}"


def audit_anchor(dataset: str) -> str:
    """Anchor id in audit.html of the cell that saves catalog dataset ``dataset`` (e.g. ``out-cv``)."""
    return f"out-{dataset}"


# The auditor's trail (审计线索): a number in the summary lands on the worked calculation behind it, not only on
# the cell that saved its dataset. One scheme, used by the summary links and by the blocks that carry the ids:
#   cv-<section>-<indicator>  the CV of one indicator and section worked school by school (03_variation)
#   school-<code>-<section>   one school-section worked from its raw row to the 6+1 rule (03_variation)
CV_ANCHOR_PREFIX = "cv-"
SCHOOL_ANCHOR_PREFIX = "school-"
# Which dataset a trail anchor belongs to: where the link falls back to when no block carries the id.
ANCHOR_DATASET = {CV_ANCHOR_PREFIX: "cv", SCHOOL_ANCHOR_PREFIX: "school_indicators"}


def _id_part(value: Any) -> str:
    """A value as a piece of an HTML id and URL fragment: ASCII letters and digits kept, anything else (``-``
    included, it separates the parts) written as ``_<hex>_`` so that distinct values give distinct ids."""
    return "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):x}_" for c in str(value))


def cv_anchor(section: Any, indicator: Any) -> str:
    """Anchor id of the worked CV table of one section and indicator (``cv-primary-R1``)."""
    return f"{CV_ANCHOR_PREFIX}{_id_part(section)}-{_id_part(indicator)}"


def school_anchor(school_code: Any, section: Any) -> str:
    """Anchor id of the worked block of one school-section (``school-5001011001-primary``)."""
    return f"{SCHOOL_ANCHOR_PREFIX}{_id_part(school_code)}-{_id_part(section)}"


def anchor_dataset(anchor: str) -> str | None:
    """The catalog dataset an audit anchor belongs to (``out-cv`` → cv, ``cv-primary-R1`` → cv), or None."""
    if anchor.startswith("out-"):
        return anchor[len("out-"):]
    return next((ds for prefix, ds in ANCHOR_DATASET.items() if anchor.startswith(prefix)), None)


def anchor_link(text: str, anchor: str, audit: str = AUDIT_FILE) -> str:
    """A number linked to an anchor of the audit report (``text`` is already escaped)."""
    return f'<a class="num" href="{esc(audit)}#{esc(anchor)}">{text}</a>'


def num_link(text: str, dataset: str, audit: str = AUDIT_FILE) -> str:
    """A number linked to the cell that computed it in the audit report (``text`` is already escaped)."""
    return anchor_link(text, audit_anchor(dataset), audit)


def light(status: Any, label: str | None = None) -> str:
    """Traffic light (交通灯) with its Chinese label, so it also reads in black-and-white print."""
    s = light_of(status) if status not in LIGHTS else status
    text = esc(label) if label is not None else LIGHT_ZH[s]
    return f'<span class="status {s}"><span class="light {s}"></span>{text}</span>'


def wrap_fragment(body: str) -> str:
    return f'<div class="rpt">{body}</div>'


def missing_notice(datasets: str, what: str) -> str:
    """A notice that step outputs are absent, named by their Chinese titles (``datasets``: catalog names)."""
    titles = "、".join(catalog.dataset(d).title_zh for d in datasets.split())
    return wrap_fragment(f'<p class="missing">未找到{esc(titles)}：{esc(what)}</p>')


@cache
def template_text(name: str) -> str:
    return (TEMPLATE_DIR / TEMPLATE_NAME / name).read_text(encoding="utf-8")


def indicator_ids(profile: Mapping) -> list[str]:
    return [*profile.get("resources", {}), *(profile.get("extra_resources") or {})]


def indicator_spec(profile: Mapping, ind: str) -> dict:
    return profile.get("resources", {}).get(ind) or (profile.get("extra_resources") or {}).get(ind) or {}


def indicator_digits(profile: Mapping, ind: str) -> int:
    """Display decimals of an indicator: whole yuan for money, two decimals otherwise."""
    return 0 if "元" in str(indicator_spec(profile, ind).get("unit", "")) else 2


def section_zh(section: Any) -> str:
    return SECTION_ZH.get(str(section), str(section))


def truthy(series: pd.Series) -> pd.Series:
    return series.map(lambda v: light_of(v) == "pass")


def join_names(names: Iterable[str]) -> str:
    seen: list[str] = []
    for n in names:
        if n and n not in seen:
            seen.append(n)
    return "、".join(seen)


def esc_text(value: Any) -> str:
    """A cell value as plain text (missing → empty); escaping happens when the HTML is built."""
    return "" if is_missing(value) else str(value)
