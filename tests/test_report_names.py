"""No internal names in what a reader sees (issue #12): summary.html, audit.html and results.xlsx cite source
documents by title (never a seed's file name or its short form), name items in Chinese, show audit tables with
Chinese headers and values, give times in 北京时间 and the run's parameters once."""

import html
import re
from pathlib import Path

import nbformat
import numpy as np
import openpyxl
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from analysis.report import preschool as preschool_report
from analysis.report import render
from analysis.report.excel import _cell_value
from analysis.report.tables import audit_table
from analysis.standards import available_profiles, load_profile
from analysis.standards.sources import DOCUMENTS, cite, cite_html

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}")
SHORT_FORM = re.compile(r"号文件|(?<![0-9A-Za-z_#.,+/=%-])00[0-4](?=\s*(?:附件|号|[一二三四五六七八九十]{1,3}[（\s]))")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
CODE_WORDS = re.compile(r"\bTrue\b|\bFalse\b|\bNaN\b|\bnan\b|\bNone\b|<NA>|\bprimary\b|\bjunior\b")
FLOAT_COUNT = re.compile(r"(?<![\d.,])\d+\.0(?![\d%])")
NANCHUAN = "《南川区创建国家义务教育优质均衡发展区工作方案》（南川府办〔2021〕51号）"
RONGCHANG = "《关于成立全国学前教育普及普惠区和义务教育优质均衡发展区创建工作专班的通知》（荣教政发〔2023〕78号）"


# ------------------------------------------------------------------------------------------------ sources
def test_seed_file_names_and_short_forms_are_cited_by_title():
    assert cite("000_7663589297cde400.txt 附件2（责任部门，区→县）") == f"{NANCHUAN}附件2（责任部门，区→县）"
    assert cite("不参评（000_7663589297cde400.txt 附件2 备注）") == f"不参评（{NANCHUAN}附件2 备注）"
    assert cite('000 四（三）1 "迎接市级综合督导评估"') == f'{NANCHUAN}四（三）1 "迎接市级综合督导评估"'
    assert cite("学前教育部分按004 号文件附件1 的 37 项") == f"学前教育部分按{RONGCHANG}附件1 的 37 项"
    assert cite("000、004 号文件要求乡镇") == f"{NANCHUAN}、{RONGCHANG}要求乡镇"
    assert cite("重庆市秀山县实施方案（003 号文件口径）") == (
        "重庆市秀山县实施方案（《秀山土家族苗族自治县创建全国义务教育优质均衡发展县实施方案》口径）")
    assert cite("安徽省（仅按001工作方案重述的事项）") == "安徽省（仅按《田家庵区推进县域义务教育优质均衡发展工作方案》重述的事项）"
    assert cite("002 四（一）2") == "《奇台县创建义务教育优质均衡发展县实施方案》（奇政办发〔2021〕10号）四（一）2"
    assert cite("003") == "《秀山土家族苗族自治县创建全国义务教育优质均衡发展县实施方案》"
    # numbers, colours and ids are not citations; a whole page (strict) leaves a bare code alone
    kept = "R6 ≥ 2,000 元/生；0.000；#000；1000米；T_s0000；学校 001 号"
    assert cite(kept, strict=True) == kept
    assert cite_html('<p style="color:#000">按 004 号文件附件1</p><img src="data:x;base64,AB+000/4号文件">') == (
        f'<p style="color:#000">按 {RONGCHANG}附件1</p><img src="data:x;base64,AB+000/4号文件">')
    assert {d.code for d in DOCUMENTS} == {"000", "001", "002", "003", "004"}


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


@pytest.mark.parametrize("name", available_profiles())
def test_every_profile_text_cites_documents_by_title(name):
    profile = load_profile(name)
    for text in _strings(profile):
        assert not SEED_FILE.search(text) and not SHORT_FORM.search(text), (name, text)
    assert "《" in profile["departments"]["source"] or not profile["departments"].get("source")


def test_excel_cells_cite_documents_by_title():
    assert _cell_value("依据：000_7663589297cde400.txt 三（五）") == f"依据：{NANCHUAN}三（五）"
    assert _cell_value("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell_value(2392) == 2392


# ------------------------------------------------------------------------------------------------ items
FAILING = [
    {"item_id": "R_schools_primary", "parent_id": "R_schools", "area": "resource_schools", "status": "未达标",
     "name_zh": "小学校校达标：7项指标至少6项达标，其余不低于标准的85%"},
    {"item_id": "G5_primary", "parent_id": "G5", "area": "guarantee", "status": "未达标",
     "name_zh": "小学初中所有班级学生数分别不超过45人、50人（小学）"},
    {"item_id": "G8_pay", "parent_id": "G8", "area": "guarantee", "status": "未达标",
     "name_zh": "教师平均工资收入水平不低于当地公务员平均工资收入水平"},
    {"item_id": "CV_junior_R5", "parent_id": "CV_junior", "area": "resource_cv", "status": "未达标",
     "name_zh": "初中R5差异系数（生均体育运动场馆面积）"},
    {"item_id": "Q9_level", "parent_id": "Q9", "area": "quality", "status": "缺少数据",
     "name_zh": "相关科目学生学业水平达到Ⅲ级以上"},
]


def test_verdict_cards_name_items_in_chinese_not_by_code():
    compulsory = {"status": "fail", "verdict": "不予认定", "failing_items": FAILING,
                  "summary": "4 项未达标：R_schools_primary、G5_primary、G8_pay、CV_junior_R5；1 项缺少数据：Q9_level"}
    preschool = {"status": "fail", "verdict": "不予认定", "summary": "1 项未达标：P7",
                 "failing_items": [{"item_id": "P7", "parent_id": "P7", "area": "preschool_guarantee",
                                    "status": "未达标", "name_zh": "每个乡镇原则上至少办好1所公办中心园"}]}
    page = preschool_report.dual_verdict(compulsory, preschool, "示例县", 2025, load_profile("chongqing"))
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "4 项未达标：小学校校达标、班额（小学）、教师平均工资收入水平不低于当地公务员平…、初中体育运动场馆差异系数" in text
    assert "1 项缺少数据：相关科目学生学业水平达到Ⅲ级以上" in text and "1 项未达标：每个乡镇原则上至少办好1所公办中心园" in text
    for code in ("R_schools", "G5_primary", "G8_pay", "CV_junior", "Q9_level", "P7"):
        assert code not in text


# ------------------------------------------------------------------------------------------------ audit tables
def test_audit_tables_have_chinese_headers_and_values():
    frame = pd.DataFrame({
        "school_code": ["5001011001", "5001021002"], "section": ["primary", "junior"],
        "students": [2392.0, np.nan], "share_of_variance": [0.1234, 0.05], "passed": [True, False],
        "status": ["on_track", "off_track"], "status_zh": ["预计达标", "预计不达标"],
        "item_id": ["G5_primary", "R_schools_junior"], "R5_ratio": [0.6, 1.0], "kg_code": [5001018001, 5001018002],
    })
    shown = audit_table(frame, load_profile("national"), {"share_of_variance": "{:.1%}"})
    assert list(shown.columns) == ["学校标识码", "学段", "学生数", "占方差的比例", "是否达标", "状态", "编号",
                                   "R5 为标准的%", "幼儿园标识码"]
    assert shown.iloc[0].tolist() == ["5001011001", "小学", "2392", "12.3%", "是", "预计达标", "G5（小学）", "0.6",
                                      "5001018001"]
    assert shown.iloc[1].tolist()[:7] == ["5001021002", "初中", "—", "5.0%", "否", "预计不达标", "校校达标（初中）"]
    assert list(frame.columns)[:3] == ["school_code", "section", "students"]  # the frame itself is unchanged
    by_type = pd.Series({"primary_school": 80, "teaching_point": 12}, name="count").rename_axis("school_type")
    counts = audit_table(by_type)
    assert counts.index.tolist() == ["小学", "教学点"] and counts.index.name == "办学类型" and counts.columns[0] == "条数"
    assert audit_table({"children": 6866.0, "kindergartens": 37.0}).iloc[:, 0].tolist() == ["6866", "37"]


# ------------------------------------------------------------------------------------------------ times, parameters
def test_times_are_shown_in_beijing_time_and_stored_in_utc():
    assert render.beijing_time("2026-12-02T09:33:05Z") == "2026-12-02 17:33:05（北京时间）"
    assert render.beijing_time("2026-12-31T20:00:00Z") == "2027-01-01 04:00:00（北京时间）"
    manifest = {"county": "demo", "year": 2025, "run": {"started_at": "2026-12-02T09:33:05Z"},
                "standards": {"name": "chongqing", "title": "重庆市（渝府办发〔2018〕70号、渝教督发〔2019〕4号）"},
                "parameters": {"standards_profile": "chongqing"}}
    footer, header = render.summary_footer(manifest), render.audit_header(manifest, [], "示例县")
    for page in (footer, header):
        assert "2026-12-02 17:33:05（北京时间）" in page and "UTC" not in page
    assert "评估口径：重庆市（渝府办发〔2018〕70号" in footer and "chongqing" not in footer
    assert manifest["run"]["started_at"] == "2026-12-02T09:33:05Z"


def _step(stem: str, injected: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[
        new_markdown_cell(f"# {stem}"),
        new_code_cell('county = "sample"\nyear = 2025', metadata={"tags": ["parameters"]}),
        new_code_cell(injected, metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("## 1. 计算"),
        new_code_cell("x = 1"),
    ])
    nb.metadata["papermill"] = {"input_path": f"{stem}.ipynb", "parameters": {}}
    return nb


def test_the_run_parameters_are_shown_once():
    same = '# Parameters\ncounty = "demo"\nyear = 2025\n'
    steps = {"01_clean": same, "02_indicators": same, "03_variation": same + 'standards_profile = "x"\n'}
    merged, toc = render.merge_notebooks({stem: _step(stem, injected) for stem, injected in steps.items()})
    tags = [c.metadata.get("tags", []) for c in merged.cells]
    assert sum("parameters" in t for t in tags) == 0  # the notebooks' defaults: papermill replaced them
    shown = [c.id for c, t in zip(merged.cells, tags, strict=True) if "injected-parameters" in t]
    assert shown == ["01_clean-2", "03_variation-2"]  # once, and again only where a step ran with other values
    assert [c.id for c in merged.cells if c.cell_type == "markdown"][1] == "01_clean-3"  # ids keep their positions
    assert merged.cells[0].metadata["report"]["notebook_anchor"] == "nb-01_clean"
    assert [e["shows_parameters"] for e in toc] == [True, False, True]
    alone = new_notebook(cells=[new_code_cell("county = 'x'", metadata={"tags": ["parameters"]})])
    assert render.parameter_cells(alone) == set()  # not run by papermill: its defaults are what it ran with


# ------------------------------------------------------------------------------------------------ a real run
@pytest.fixture(scope="module")
def one_year(sample_run) -> Path:
    """The sample county's 2025 reports from the session's shared pipeline run (conftest ``sample_run``)."""
    return sample_run["reports_root"] / "sample" / "2025"


def page_text(page: str) -> str:
    """What a reader reads: text without styles, scripts, tags and embedded images."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def output_tables(page: str) -> list[tuple[str, list[str]]]:
    """The tables of the notebooks' outputs (code is never in a table; the run facts table is left out):
    (class, cell texts)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    out = []
    for attrs, body in re.findall(r"<table\b([^>]*)>(.*?)</table>", page, flags=re.S):
        if 'class="meta"' in attrs:
            continue
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", body, flags=re.S)]
        out.append((attrs, cells))
    return out


def check_reports(folder: Path) -> list[str]:
    """Every internal name a reader would see in the reports of ``folder`` (empty when there is none)."""
    problems = []
    summary = (folder / "summary.html").read_text(encoding="utf-8")
    audit = (folder / "audit.html").read_text(encoding="utf-8")
    for name, page in (("summary", summary), ("audit", audit)):
        text = page_text(page)
        problems += [f"{name}: seed file {m}" for m in SEED_FILE.findall(text)]
        problems += [f"{name}: short form …{text[max(m.start() - 15, 0):m.end() + 10]}…"
                     for m in SHORT_FORM.finditer(text)]
        if "北京时间" not in text or "UTC" in text:
            problems.append(f"{name}: times not in 北京时间")
    summary_text = page_text(summary)
    problems += [f"summary: item code {m}" for m in re.findall(r"\b[A-Z]+\d*_[A-Za-z0-9_]+\b", summary_text)]
    for attrs, cells in output_tables(audit):
        for cell in cells:
            for pattern in (SNAKE, CODE_WORDS):
                problems += [f"audit table: {m!r} in {cell[:60]!r}" for m in pattern.findall(cell)]
            if 'class="dataframe"' in attrs and FLOAT_COUNT.fullmatch(cell):
                problems.append(f"audit table: whole number as float {cell!r}")
    if audit.count("celltag_injected-parameters") != 1 or "celltag_parameters" in audit:
        problems.append("audit: parameters cell not shown exactly once")
    workbook = openpyxl.load_workbook(folder / "results.xlsx")
    for ws in workbook:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and (SEED_FILE.search(c.value) or SHORT_FORM.search(c.value)):
                    problems.append(f"results.xlsx {ws.title}!{c.coordinate}: {c.value[:60]}")
    return problems


@pytest.mark.slow
def test_reports_of_a_real_run_show_no_internal_names(one_year):
    assert check_reports(one_year) == []
