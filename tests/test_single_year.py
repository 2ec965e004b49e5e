"""A county with one year (most counties start with a single year folder): a sane projection chart, no past year
called a milestone ahead, a plain sentence on what more years add, and the quality-monitoring results (Q9) of an
earlier year folder found and cited."""

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from test_excel_layout import machine_names

from analysis import config
from analysis.data.cleaning import InputError, earlier_tables
from analysis.data.files import read_csv
from analysis.evaluate import planning
from analysis.evaluate.projection import method_settings
from analysis.pipeline import earlier_input_hashes, raw_history_hashes, run
from analysis.precheck import precheck
from analysis.report import charts_projection, fragments
from analysis.report.plotting import chart_context
from analysis.standards import load_profile

PROFILE = load_profile("chongqing")
YEAR = 2025
RESULTS_FILE = "质量监测结果.csv"


def one_year_county(root: Path, earlier_results: bool = True) -> Path:
    """county.yaml and the 2025 folder of the sample county; with ``earlier_results`` also a 2024 folder holding
    only the 2024 monitoring results (a round handed in with an earlier year: 2025 has none)."""
    county = root / "sample"
    county.mkdir(parents=True)
    shutil.copy(config.RAW / "sample" / "county.yaml", county / "county.yaml")
    shutil.copytree(config.RAW / "sample" / str(YEAR), county / str(YEAR))
    assert not (county / str(YEAR) / RESULTS_FILE).exists()
    if earlier_results:
        (county / "2024").mkdir()
        shutil.copy(config.RAW / "sample" / "2024" / RESULTS_FILE, county / "2024" / RESULTS_FILE)
    return county


def one_year_rows() -> pd.DataFrame:
    """projection.csv of a one-year county: observed county rows only."""
    rows = [{"level": "county", "school_code": None, "section": s, "indicator": ind, "year": YEAR, "value": v,
             "low": None, "high": None, "threshold": t, "status": "observed"}
            for s in ("primary", "junior") for ind, v, t in (("R1_cv", 0.2, 0.5), ("R5_cv", 0.35, 0.5),
                                                           ("school_pass_share", 0.95, 1.0), ("students", 9e3, None))]
    return pd.DataFrame(rows)


def text_of(page: str) -> str:
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<img[^>]*>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


# ---------------------------------------------------------------------------------------------------------------
# Fast checks of the parts.


def test_projection_chart_of_one_year_spans_the_year_and_the_milestones():
    rows = one_year_rows()
    county = rows[rows["level"] == "county"]
    cv = county[county["indicator"].str.endswith("_cv")]
    share = county[county["indicator"] == "school_pass_share"]
    last = max(int(m["year"]) for m in PROFILE["milestones"] if m.get("year"))
    with chart_context():
        fig = fragments.projection_figure(cv, share, PROFILE)
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        assert YEAR - 1 <= lo < YEAR and last < hi <= last + 1, (lo, hi)
    assert "未做预测" in fig.texts[0].get_text()
    assert fragments.projection_chart(rows, PROFILE).startswith("<")


def test_trend_figure_of_one_year_keeps_a_sane_year_axis():
    rows = one_year_rows().assign(kind="observed")
    milestones = [m for m in PROFILE["milestones"] if m.get("year") and int(m["year"]) > YEAR]
    with chart_context():
        fig = charts_projection.trend_figure(rows, [("primary", "students"), ("junior", "students")], milestones,
                                             "全县在校生")
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        assert YEAR - 1 <= lo < YEAR and hi <= max(int(m["year"]) for m in milestones) + 1


def test_no_projection_says_what_more_years_add():
    text = text_of(fragments.projection_table(one_year_rows(), PROFILE))
    need = method_settings(PROFILE)["min_history_years"]
    assert f"本次只有 {YEAR} 年一年的数据" in text and f"至少需要 {need} 年" in text
    assert "补充往年（如 2023、2024 年）的原始数据文件夹" in text
    assert "预计达标状态及预测区间" in text and "2026 年市级综合督导评估" in text
    assert ".csv" not in text and "只有实际值" not in text


def test_action_heading_never_calls_the_current_year_a_milestone():
    actions = pd.DataFrame({"milestone_year": [YEAR, YEAR]})
    ahead = [m for m in PROFILE["milestones"] if m.get("year") and int(m["year"]) > YEAR]
    text = planning.actions_heading(actions, ahead, YEAR, shown=30)
    assert f"第一个时间节点（{YEAR}" not in text
    assert f"按本学年（{YEAR} 年）实际值计算" in text and "须在第一个时间节点（2026 年市级综合督导评估）前补齐" in text
    projected = planning.actions_heading(pd.DataFrame({"milestone_year": [2026, 2027]}), ahead, YEAR, shown=30)
    assert projected.startswith("共 2 条整改事项；以下为第一个时间节点（2026 年市级综合督导评估")


def test_monitoring_results_of_an_earlier_folder_are_read_and_hashed(tmp_path):
    county = one_year_county(tmp_path)
    found = earlier_tables(county / str(YEAR), "monitoring_results")
    assert list(found) == [2024] and (found[2024]["year"] == 2024).all()
    assert earlier_tables(county / str(YEAR), "monitoring_results", skip=[2024]) == {}
    hashes = raw_history_hashes(county / str(YEAR), ["monitoring", "monitoring_results"])
    assert list(hashes) == [f"2024/{RESULTS_FILE}"]
    listed = earlier_input_hashes(county / str(YEAR))  # beside the year's own files in the manifest and the audit
    assert [i["path"] for i in listed] == [f"sample/2024/{RESULTS_FILE}"]
    assert listed[0]["sha256"] == hashes[f"2024/{RESULTS_FILE}"]


def test_a_bad_earlier_file_stops_with_its_year_folder(tmp_path):
    county = one_year_county(tmp_path)
    path = county / "2024" / RESULTS_FILE
    path.write_text(path.read_text(encoding="utf-8").replace("0.1251", "一成"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        earlier_tables(county / str(YEAR), "monitoring_results")
    assert (info.value.issues["file"] == f"2024/{RESULTS_FILE}").all()


def test_validate_forecasts_q9_from_the_earlier_folder(tmp_path):
    county = one_year_county(tmp_path)
    issues = precheck(county / str(YEAR), PROFILE, YEAR)
    assert not issues["column"].str.startswith("Q9").any()
    earlier = issues[issues["rule"] == "earlier_folder"]
    assert earlier["expected"].tolist() == ["本年文件夹没有质量监测结果：评估采用往年文件夹（2024 年）中的质量监测结果"]


# ---------------------------------------------------------------------------------------------------------------
# One run of the one-year county.


@pytest.fixture(scope="module")
def one_year_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("one_year")
    one_year_county(root / "raw")
    roots = {"raw_root": root / "raw", "processed_root": root / "processed", "reports_root": root / "reports"}
    run("sample", [YEAR], progress=lambda _: None, **roots)
    return {"processed": roots["processed_root"] / "sample" / str(YEAR),
            "reports": roots["reports_root"] / "sample" / str(YEAR)}


@pytest.mark.slow
def test_one_year_report_is_clean_and_cites_the_earlier_monitoring_round(one_year_run):
    summary = text_of((one_year_run["reports"] / "summary.html").read_text(encoding="utf-8"))
    for bad in (f"第一个时间节点（{YEAR}", "只有实际值", ".csv"):
        assert bad not in summary, bad
    assert f"本次只有 {YEAR} 年一年的数据，尚不能做趋势预测" in summary
    assert "补充往年（如 2023、2024 年）的原始数据文件夹" in summary
    assert "Q9 的依据来自往年文件夹：质量监测结果表：2024年国家监测（取自2024年文件夹）" in summary

    items = read_csv(one_year_run["processed"] / "items.csv").set_index("item_id")
    for item in ("Q9_level", "Q9_diff"):
        assert items.loc[item, "status"] != "缺少数据"
        assert items.loc[item, "kind"] == "published"
        assert "2024年国家监测（取自2024年文件夹）" in items.loc[item, "evidence"]

    audit = text_of((one_year_run["reports"] / "audit.html").read_text(encoding="utf-8"))
    assert f"第一个时间节点（{YEAR}" not in audit
    assert "计入的发布结果：6 条（取自2024年文件夹）" in audit
    assert f"sample/2024/{RESULTS_FILE}" in audit  # listed with the input files and their SHA-256


@pytest.mark.slow
def test_one_year_workbook_names_everything_in_chinese(one_year_run):
    wb = load_workbook(one_year_run["reports"] / "results.xlsx")
    assert machine_names(wb) == []
    for ws in wb.worksheets:
        assert ws.print_title_rows == ("$1:$2" if ws.title == "学校指标" else "$1:$1"), ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
