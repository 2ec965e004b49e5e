"""The auditor's trail: every number of the summary lands on its worked calculation in audit.html.

A CV leads to the table of that section and indicator worked school by school, a school's number to that
school's block (raw rows, split, R1–R7, the 6+1 rule, its part in each CV). Fast tests on small frames, slow
ones on the sample county's real run (the shared ``sample_run``)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from analysis.config import SECTION_ZH
from analysis.data import catalog
from analysis.evaluate.variation import cv_steps, cv_table, weighted_cv, weighted_stats
from analysis.report import trail
from analysis.report.format import anchor_dataset, cv_anchor, fmt_number, school_anchor
from analysis.standards import load_profile

P = load_profile("national")
IDS = list(P["resources"])
NASTY = 'A&B <script>alert("x")</script> 小学'
HOSTILE_CODE = '"><img src=x onerror=alert(1)>'


def _frame() -> pd.DataFrame:
    """Three primary schools and two junior ones with every column the school blocks read."""
    rows = []
    for code, name, section, n in (("0001", "城关小学", "primary", 400), ("0002", NASTY, "primary", 300),
                                   ("0003", "河口村小", "primary", 80), ("0004", "城关中学", "junior", 900),
                                   (HOSTILE_CODE, "河口中学", "junior", 400)):
        row = {"school_code": code, "school_name": name, "school_type": "primary_school", "urban_rural": "rural",
               "township": "城关镇", "section": section, "students": n, "share": 1.0}
        k = len(rows) + 1
        for ind in IDS:
            spec = P["resources"][ind]
            std = float(spec[section])
            row[spec["numerator"]] = std * n / spec["per"] * (0.7 + 0.15 * k)
            row[ind] = row[spec["numerator"]] * spec["per"] / n
            row[f"{ind}_std"] = std
        row.update(n_met=7, school_pass=True, reason="7项指标全部达标")
        rows.append(row)
    return pd.DataFrame(rows)


def _blocks(page: str, kind: str) -> dict[str, str]:
    """id → HTML of each ``<section class="trail-<kind>">`` block (blocks hold no nested section). The audit's
    HTML is re-serialised by nbconvert, which may reorder attributes: they are read in any order."""
    out = {}
    for attrs, body in re.findall(r"<section ([^>]*)>(.*?)</section>", page, re.S):
        found = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        if found.get("class") == f"trail-{kind}":
            out[found["id"]] = body
    return out


class _Live(HTMLParser):
    """Script elements other than the search script, and on* attributes: what a browser would run."""

    def __init__(self):
        super().__init__()
        self.live: list[str] = []
        self.script: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.script = "" if not attrs else None
            if attrs:
                self.live.append("<script attrs>")
        elif tag in ("iframe", "object", "embed", "img"):
            self.live.append(f"<{tag}>")
        self.live += [f"<{tag} {k}>" for k, _ in attrs if k.lower().startswith("on")]

    def handle_data(self, data):
        if self.script is not None:
            self.script += data

    def handle_endtag(self, tag):
        if tag == "script" and self.script is not None:
            if self.script != trail.SEARCH_SCRIPT:
                self.live.append("<script>")
            self.script = None


# ---- fast ------------------------------------------------------------------------------------------------------

def test_anchor_scheme_is_stable_and_safe():
    assert cv_anchor("primary", "R1") == "cv-primary-R1"
    assert school_anchor("5001011001", "junior") == "school-5001011001-junior"
    odd = school_anchor(HOSTILE_CODE, "junior")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", odd)  # usable as an id and a URL fragment as it is
    assert school_anchor("12-3", "primary") != school_anchor("12", "3-primary")  # '-' only separates
    assert [anchor_dataset(a) for a in ("out-cv", "cv-primary-R1", odd, "nb-02")] == [
        "cv", "cv", "school_indicators", None]


def test_cv_steps_recompute_the_cv_of_cv_table():
    frame = _frame()
    cv = cv_table(frame, P)
    for r in cv.itertuples(index=False):
        steps = cv_steps(frame, r.indicator, r.section)
        assert abs(weighted_cv(steps["value"], steps["students"]) - r.cv) < 1e-9
        assert steps["weight"].sum() == pytest.approx(1)
        assert steps["contribution"].sum() == pytest.approx(r.std**2, rel=1e-9)
        assert steps["share_of_variance"].sum() == pytest.approx(1)
        mean, _, _ = weighted_stats(steps["value"], steps["students"])
        assert np.allclose(steps["deviation"], steps["value"] - mean)


def test_worked_cv_table_shows_the_steps_and_the_result():
    frame = _frame()
    cv = cv_table(frame, P)
    page = trail.cv_worked_tables(frame, cv, P)
    blocks = _blocks(page, "cv")
    assert list(blocks) == [cv_anchor(s, i) for s, i in zip(cv["section"], cv["indicator"], strict=True)]
    row = cv[(cv["section"] == "primary") & (cv["indicator"] == "R6")].iloc[0]
    block = blocks["cv-primary-R6"]
    assert "小学" in block and "R6 生均教学仪器设备值" in block
    assert f"CV = S ÷ x̄ = <b>{fmt_number(row['cv'], trail.CV_DIGITS)}</b>" in block and "限值 ≤ 0.50" in block
    assert 'href="#school-0002-primary"' in block  # each school's name leads to its own block
    assert NASTY not in page and html.escape(NASTY) in page


def test_school_pages_one_block_per_school_section_searchable_and_escaped():
    frame = _frame()
    page = trail.school_pages(frame, P)
    blocks = _blocks(page, "school")
    assert len(blocks) == len(frame)
    block = blocks[school_anchor("0002", "primary")]
    assert html.escape(NASTY) in block and "0002" in block and "“6+1”规则" in block
    assert "85%基本值" in block and 'href="#cv-primary-R6"' in block
    index = re.search(r'<nav class="trail-index">(.*?)</nav>', page, re.S).group(1)
    assert index.count("<a ") == len(frame)
    assert f'id="{trail.SEARCH_ID}"' in page and f"<script>{trail.SEARCH_SCRIPT}</script>" in page
    assert not re.search(r'(src|href)\s*=\s*["\']?\s*(https?:)?//', page)  # offline: no URL
    parser = _Live()
    parser.feed(page + trail.cv_worked_tables(frame, cv_table(frame, P), P))
    assert parser.live == []  # hostile names and codes are text, the search script is the only script


def test_school_block_shows_the_raw_rows_and_the_split_of_a_combined_school():
    frame = _frame().iloc[[0, 3]].copy()  # one nine-year school: 400 primary, 900 junior pupils
    frame["school_code"] = "0009"
    frame["school_type"] = "nine_year_school"
    total = 400 * P["split_weights"]["primary"] + 900 * P["split_weights"]["junior"]
    frame["share"] = [400 / total, 900 * P["split_weights"]["junior"] / total]
    schools = pd.DataFrame([{"school_code": "0009", "school_type": "nine_year_school", "source_row": 7,
                             "students_primary": 400, "students_junior": 900, "students_senior": 0,
                             **{f: 1000.0 for f in P["split_fields"]}}])
    teachers = pd.DataFrame([{"school_code": "0009", "section": "primary", "source_row": 3},
                             {"school_code": "0009", "section": "junior", "source_row": 4}])
    inputs = pd.DataFrame([{"table": "schools", "file": "学校基本情况.xlsx", "sheet": "学校基本情况"},
                           {"table": "teachers", "file": "专任教师情况.xlsx", "sheet": "Sheet1"}])
    page = trail.school_pages(frame, P, schools, teachers, inputs)
    junior = _blocks(page, "school")["school-0009-junior"]
    assert "学校基本情况.xlsx［学校基本情况］ 第 7 行" in junior and "专任教师情况.xlsx［Sheet1］ 第 4 行" in junior
    assert "学段拆分（九年一贯制学校）" in junior and f"<b>{trail.sig(frame['share'].iloc[1])}</b>" in junior


# ---- one real run ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pages(sample_run):
    year_reports = sample_run["reports_root"] / "sample" / "2025"
    processed = sample_run["processed_root"] / "sample" / "2025"
    summary, audit = ((year_reports / f).read_text(encoding="utf-8") for f in (catalog.SUMMARY_FILE,
                                                                               catalog.AUDIT_FILE))
    load = catalog.loader(processed)
    return {"summary": summary, "audit": audit, "cv": load("cv"), "si": load("school_indicators")}


def _targets(summary: str) -> list[str]:
    return list(dict.fromkeys(html.unescape(t) for t in re.findall(r'href="audit\.html#([^"]+)"', summary)))


@pytest.mark.slow
def test_every_summary_link_lands_on_an_id_of_the_audit(pages):
    ids = set(re.findall(r'\bid="([^"]+)"', pages["audit"]))
    targets = _targets(pages["summary"])
    assert targets and [t for t in targets if t not in ids] == []
    assert any(t.startswith("cv-") for t in targets) and any(t.startswith("school-") for t in targets)


@pytest.mark.slow
def test_a_cv_link_lands_on_the_worked_table_of_its_section_and_indicator(pages):
    blocks = _blocks(pages["audit"], "cv")
    cv = pages["cv"]
    assert len(blocks) == len(cv)  # one worked table per section and indicator, each once
    linked = [t for t in _targets(pages["summary"]) if t.startswith("cv-")]
    assert len(linked) == len(cv)  # every CV of the summary's table links to its own table
    for r in cv.itertuples(index=False):
        block = blocks[cv_anchor(r.section, r.indicator)]
        assert SECTION_ZH[r.section] in block and f"{r.indicator} {r.name_zh}" in block
        assert f"CV = S ÷ x̄ = <b>{fmt_number(r.cv, trail.CV_DIGITS)}</b>" in block
        # the summary's three decimals are the same number
        assert f'href="audit.html#{cv_anchor(r.section, r.indicator)}">{fmt_number(r.cv, 3)}</a>' in pages["summary"]


@pytest.mark.slow
def test_the_worked_numbers_recompute_the_cv(pages):
    si, cv = pages["si"], pages["cv"]
    blocks = _blocks(pages["audit"], "cv")
    for r in cv.itertuples(index=False):
        steps = cv_steps(si, r.indicator, r.section)  # the frame the table is drawn from
        assert abs(weighted_cv(steps["value"], steps["students"], r.indicator) - r.cv) < 1e-9
        # and the table as printed (nᵢ, xᵢ to six significant digits) gives the CV to its shown precision
        cells = re.findall(r"<tr><td>[^<]*</td><td><a [^>]*>.*?</a></td><td>([\d,]+)</td><td>([-\d.,]+)</td>",
                           blocks[cv_anchor(r.section, r.indicator)])
        assert len(cells) == len(steps)
        n = [float(a.replace(",", "")) for a, _ in cells]
        x = [float(b.replace(",", "")) for _, b in cells]
        assert weighted_cv(x, n) == pytest.approx(r.cv, abs=5e-5)


@pytest.mark.slow
def test_a_school_link_lands_on_that_schools_block(pages):
    blocks = _blocks(pages["audit"], "school")
    si = pages["si"]
    assert len(blocks) == len(si)  # one block per school-section row of school_indicators.csv
    names = {school_anchor(r.school_code, r.section): r for r in si.itertuples(index=False)}
    linked = [t for t in _targets(pages["summary"]) if t.startswith("school-")]
    assert linked
    for anchor in linked:
        r, block = names[anchor], blocks[anchor]
        assert html.escape(str(r.school_name)) in block and str(r.school_code) in block
        assert SECTION_ZH[r.section] in block and "原始数据：" in block and "“6+1”规则" in block
    index = re.search(r'<nav class="trail-index">(.*?)</nav>', pages["audit"], re.S).group(1)
    assert index.count("<a ") == len(si) and f'id="{trail.SEARCH_ID}"' in pages["audit"]
