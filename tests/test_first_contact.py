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
