"""A new county's first contact with validate: one pass finds everything, footers and renamed files are handled,
a 完全中学 without 高中在校生数 is refused."""

import openpyxl
from rawfactory import base_schools, base_teachers, make_county, school_row, teacher_row, write_xlsx

from analysis.data.cleaning import clean_folder
from analysis.data.files import save_workbook


def errors(result):
    return result.issues[result.issues["severity"] == "error"]


def test_one_pass_reports_school_sheet_errors_and_a_missing_teacher_row(tmp_path):
    """The school sheet lacks a required column and has a bad cell; the 九年一贯制 school's 初中 teacher row is
    missing: all three are reported at once."""
    schools = base_schools(**{"0": {"城乡分类": "城里"}})
    for row in schools:
        del row["网络多媒体教室数"]
    teachers = base_teachers()[:3]  # no 初中 row for 5001000003
    make_county(tmp_path, schools, teachers)
    found = errors(clean_folder(tmp_path))
    text = " ".join(found["expected"])
    assert "表头行缺少必需的列：网络多媒体教室数" in text
    assert (found["column"] == "城乡分类").any()
    assert (found["rule"] == "missing_teacher_row").any() and "镇九年一贯制学校 有初中在校生" in text
    # the absent column is one error, not one per school
    assert not (found["column"] == "网络多媒体教室数").any()


def test_complete_secondary_school_without_senior_column_is_an_error(tmp_path):
    schools = base_schools() + [school_row("5001000004", "县第一中学", "完全中学", primary=0, junior=300)]
    teachers = base_teachers() + [teacher_row("5001000004", "初中", 300)]
    make_county(tmp_path, schools, teachers)
    found = errors(clean_folder(tmp_path))
    row = found[found["rule"] == "section_missing"]
    assert len(row) == 1 and row["row"].iloc[0] == 7
    assert "县第一中学为完全中学，须填写高中在校生数（本表没有该列" in row["expected"].iloc[0]


def test_senior_count_blank_is_an_error_and_zero_is_accepted(tmp_path):
    schools = base_schools() + [school_row("5001000004", "县第一中学", "完全中学", primary=0, junior=300,
                                           **{"高中在校生数": None}),
                                school_row("5001000005", "县第二中学", "完全中学", primary=0, junior=300,
                                           **{"高中在校生数": 0})]
    teachers = base_teachers() + [teacher_row("5001000004", "初中", 300), teacher_row("5001000005", "初中", 300)]
    make_county(tmp_path, schools, teachers)
    row = errors(clean_folder(tmp_path)).query("rule == 'section_missing'")
    assert row["row"].tolist() == [7] and "该格为空" in row["expected"].iloc[0]


def test_sign_off_line_is_dropped_and_logged(tmp_path):
    make_county(tmp_path)
    path = tmp_path / "学校基本情况.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    ws.append([])
    ws.append(["填表人：张三", None, "审核人：李四", None, "日期：2025年9月1日"])
    ws.append(["联系电话：", 13800000000])
    save_workbook(wb, path)
    result = clean_folder(tmp_path)
    assert errors(result).empty
    assert result.dropped["reason"].str.contains("签字行").sum() == 2
    assert len(result.tables["schools"]) == 3


def test_renamed_file_is_matched_by_name_or_header(tmp_path):
    make_county(tmp_path)
    (tmp_path / "学校基本情况.xlsx").rename(tmp_path / "2025年学校基本情况表.xlsx")
    (tmp_path / "专任教师情况.xlsx").rename(tmp_path / "附表2.xlsx")  # the name says nothing: the header does
    result = clean_folder(tmp_path)
    assert errors(result).empty
    assert set(result.inputs["file"]) == {"2025年学校基本情况表.xlsx", "附表2.xlsx"}


def test_unrecognised_file_is_named_with_the_closest_table(tmp_path):
    make_county(tmp_path)
    write_xlsx(tmp_path / "班级学生数统计汇总.xlsx", ["学校标识码", "学生数"], [])  # matched by name
    write_xlsx(tmp_path / "社会认可调查.xlsx", ["编号", "结果"], [])
    result = clean_folder(tmp_path)
    note = result.issues[result.issues["expected"].str.contains("社会认可调查.xlsx")]
    assert len(note) == 1 and note["severity"].iloc[0] == "warning"
    assert "最接近的是“社会认可度调查”" in note["expected"].iloc[0]


# ---------------------------------------------------------------------------------------------------------------
# analysis validate: the completeness forecast, validation.csv, the CJK-aligned table.

import shutil  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import config  # noqa: E402
from analysis.cli import main  # noqa: E402
from analysis.precheck import display_width, precheck, terminal_table  # noqa: E402
from analysis.standards import load_profile  # noqa: E402

SAMPLE = config.RAW / "sample" / "2025"


def bare_county(tmp_path, *keep: str):
    """The sample's 2025 school and teacher sheets (and ``keep``), nothing else: a county's first return."""
    folder = tmp_path / "新县" / "2025"
    folder.mkdir(parents=True)
    for name in ("学校基本情况.xlsx", "专任教师情况.xlsx", *keep):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def test_validate_lists_every_item_that_will_read_missing_and_why(tmp_path):
    issues = precheck(bare_county(tmp_path), load_profile("national"), 2025)
    missing = issues[issues["rule"] == "missing_data"]
    assert (issues["severity"] == "error").sum() == 0
    assert (missing["severity"] == "warning").all()
    by_item = dict(zip(missing["column"], missing["expected"], strict=True))
    assert "没有班级学生数表" in by_item["G5_primary"]
    assert "没有社会认可度调查表" in by_item["S1"]
    assert "县级指标表中没有“V1”" in by_item["V1"]
    assert "G8_teacher_pay" in by_item["G8_pay"]
    assert {"G1", "G2", "G10", "Q1", "Q2", "Q5", "Q7", "Q8", "Q9_level"} <= set(by_item)
    assert not {"G9", "G12", "G3", "G4"} & set(by_item)  # computed from the sheets given: not missing
    assert missing.loc[missing["column"] == "S1", "file"].iloc[0] == "社会认可度调查（未提供）"


def test_blank_optional_teacher_columns_are_forecast(tmp_path):
    folder = bare_county(tmp_path, "县级指标.xlsx", "班级学生数.csv", "社会认可度调查.csv")
    path = folder / "专任教师情况.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    col = header.index("五年周期内完成360学时培训人数") + 1
    ws.cell(3, col).value = None
    save_workbook(wb, path)
    issues = precheck(folder, load_profile("chongqing"), 2025)
    missing = issues[issues["rule"] == "missing_data"]
    assert set(missing["column"]) == {"G9", "Q9_diff", "Q9_level"}
    g9 = missing.loc[missing["column"] == "G9", "expected"].iloc[0]
    assert "1 行缺少数据" in g9
    assert "往年文件夹" not in g9


def test_unreadable_county_item_is_an_error(tmp_path):
    folder = bare_county(tmp_path)
    write_xlsx(folder / "县级指标.xlsx", ["指标编号", "数值"], [{"指标编号": "G13_primary", "数值": "98"}])
    issues = precheck(folder, load_profile("national"), 2025)
    err = issues[issues["severity"] == "error"]
    assert len(err) == 1 and "G13_primary" in err["expected"].iloc[0]


def test_validate_command_writes_validation_csv_in_chinese(tmp_path, capsys):
    folder = bare_county(tmp_path)
    assert main(["validate", str(folder), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"全部问题已写入 {tmp_path / 'out' / 'validation.csv'}" in out
    assert "将显示为“缺少数据”的项目" in out and "no problems" not in out
    frame = pd.read_csv(tmp_path / "out" / "validation.csv", dtype=str, encoding="utf-8-sig")
    assert list(frame.columns) == ["级别", "文件", "工作表", "行", "列", "值", "说明（应为）", "规则"]
    assert set(frame["级别"]) == {"警告"} and set(frame["规则"]) == {"将缺少数据"}


def test_validate_exits_1_on_errors_and_names_them(tmp_path, capsys):
    make_county(tmp_path / "x" / "2025", base_schools(**{"0": {"城乡分类": "城里"}}))
    assert main(["validate", str(tmp_path / "x" / "2025"), "--out", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "错误 1 个" in out and "城乡分类" in out


@pytest.mark.parametrize("text,width", [("abc", 3), ("学校", 4), ("（未提供）", 10), ("G5（小学）", 10)])
def test_display_width_counts_cjk_as_two(text, width):
    assert display_width(text) == width


def test_terminal_table_aligns_cjk_columns():
    frame = pd.DataFrame({"级别": ["错误", "警告"], "文件": ["学校基本情况.xlsx", "a.csv"], "说明": ["应为 整数", "x"]})
    lines = terminal_table(frame).splitlines()
    starts = [display_width(line[: line.index(cell)]) for line, cell in
              zip([lines[0], lines[2], lines[3]], ["说明", "应为", "x"], strict=True)]
    assert len(set(starts)) == 1


@pytest.mark.slow
def test_forecast_equals_the_runs_missing_items(tmp_path):
    """validate predicts the verdict: the items it lists are exactly those the run shows as 缺少数据."""
    from analysis.data import catalog
    from analysis.data.files import read_csv
    from analysis.pipeline import run

    folder = bare_county(tmp_path / "raw", "县级指标.xlsx")
    forecast = precheck(folder, load_profile("national"), 2025)
    forecast = set(forecast.loc[forecast["rule"] == "missing_data", "column"])
    run("新县", [2025], raw_root=tmp_path / "raw", processed_root=tmp_path / "p", reports_root=tmp_path / "r",
        progress=lambda _: None, jobs=1, only=["01", "02", "03", "04"])
    items = read_csv(tmp_path / "p" / "新县" / "2025" / catalog.dataset("items").file)
    assert forecast == set(items.loc[items["status"] == "缺少数据", "item_id"])
    assert {"G5_primary", "S1", "Q9_level"} <= forecast
