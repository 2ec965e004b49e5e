"""Reader quirks: formats, encodings, title rows, merged cells, full-width digits, separators, units."""

from pathlib import Path

import pytest
from rawfactory import make_county, school_row, teacher_row, write_csv, write_xlsx

from analysis.data.cleaning import InputError, clean_folder, parse_number
from analysis.data.columns import CLASSES, SCHOOLS, TEACHERS
from analysis.data.reading import InputFileError, find_input_files, match_header, read_table

FIXTURES = Path(__file__).parent / "fixtures" / "reader"


def test_parse_number_quirks():
    assert parse_number("１２，３４５ ") == 12345.0
    assert parse_number("12,345.5") == 12345.5
    assert parse_number(" 300 ") == 300.0
    assert parse_number("98%") == pytest.approx(0.98)
    assert parse_number("") is None and parse_number(None) is None
    with pytest.raises(ValueError):
        parse_number("约300")


def test_header_aliases_and_units():
    col, unit = match_header("教学仪器设备资产值（万元）", SCHOOLS)
    assert col.id == "equipment_value" and unit == "万元"
    col, unit = match_header(" 体育运动场（馆）面积 (㎡)", SCHOOLS)
    assert col.id == "sports_area_m2" and unit == "m2"
    assert match_header("体育活动场地面积", SCHOOLS)[0].id == "sports_area_m2"  # 001 wording
    assert match_header("区级以上骨干教师数", TEACHERS)[0].id == "key_teachers"
    assert match_header("学校 标识码", SCHOOLS)[0].id == "school_code"
    assert match_header("备注", SCHOOLS)[0] is None


def test_title_row_merged_and_quirky_cells(tmp_path):
    rows = [school_row("0500100001", "城区一小 ", 教学及辅助用房面积="4,500", 小学在校生数="１０００",
                       教学仪器设备资产值=210.5),
            school_row("0500100002", "城关中学", "初级中学", primary=0, junior=900),
            {"学校名称": "合计", "小学在校生数": 1000}]
    headers = list(rows[0])
    write_xlsx(tmp_path / "学校基本情况.xlsx", headers, rows, title="示例县2025年学校基本情况",
               header_over={"教学仪器设备资产值": "教学仪器设备资产值（万元）"})
    raw = read_table(tmp_path / "学校基本情况.xlsx", SCHOOLS)
    assert raw.header_row == 3
    assert list(raw.frame.index) == [4, 5]  # Excel row numbers; 合计 row dropped
    assert raw.dropped_rows == [(6, "合计行（不是学校）已忽略")]
    from analysis.data.cleaning import clean_sheet

    frame, issues = clean_sheet(raw)
    assert issues == []
    first = frame.iloc[0]
    assert first["school_code"] == "0500100001"  # leading zero kept
    assert first["school_name"] == "城区一小"
    assert first["students_primary"] == 1000 and first["teaching_rooms_m2"] == 4500
    assert first["equipment_value_yuan"] == pytest.approx(2_105_000)
    assert first["school_type"] == "primary_school" and first["urban_rural"] == "urban"


def test_equipment_in_yuan_when_header_says_so(tmp_path):
    rows = [school_row("5001000001", "一小", 教学仪器设备资产值=1_500_000)]
    write_xlsx(tmp_path / "学校基本情况.xlsx", list(rows[0]), rows,
               header_over={"教学仪器设备资产值": "教学仪器设备资产值(元)"})
    from analysis.data.cleaning import clean_sheet

    frame, _ = clean_sheet(read_table(tmp_path / "学校基本情况.xlsx", SCHOOLS))
    assert frame.loc[0, "equipment_value_yuan"] == 1_500_000
    assert frame.loc[0, "equipment_unit"] == "元"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    rows = [{"学校标识码": "5001000001", "学段": "小学", "年级": 1, "班号": 1, "学生数": 45}]
    write_csv(tmp_path / "班级学生数.csv", [c.zh for c in CLASSES.columns], rows, encoding=encoding)
    raw = read_table(tmp_path / "班级学生数.csv", CLASSES)
    assert raw.frame.iloc[0]["section"] == "小学"
    assert raw.header_row == 1 and list(raw.frame.index) == [2]


def test_xls_with_merged_title():
    raw = read_table(FIXTURES / "专任教师情况.xls", TEACHERS)
    assert raw.header_row == 2
    from analysis.data.cleaning import clean_sheet

    frame, issues = clean_sheet(raw)
    assert issues == []
    assert frame["school_code"].tolist() == ["5001000001", "5001000002"]
    assert frame["teachers"].tolist() == [30, 40]


def test_merged_data_cells_are_filled(tmp_path):
    import openpyxl

    from analysis.data.files import save_workbook

    wb = openpyxl.Workbook()
    ws = wb.active
    for j, h in enumerate(["学校标识码", "学段", "专任教师数", "高于规定学历教师数", "县级及以上骨干教师数",
                           "体育专任教师数", "音乐专任教师数", "美术专任教师数"], 1):
        ws.cell(1, j, h)
    ws.append(["5001000003", "小学", 20, 18, 2, 1, 1, 1])
    ws.append([None, "初中", 15, 14, 2, 1, 1, 1])
    ws.merge_cells("A2:A3")  # one school code spanning its two section rows
    save_workbook(wb, tmp_path / "专任教师情况.xlsx")
    raw = read_table(tmp_path / "专任教师情况.xlsx", TEACHERS)
    assert raw.frame["school_code"].tolist() == ["5001000003", "5001000003"]


def test_missing_required_column_names_file_and_column(tmp_path):
    rows = [{"学校标识码": "5001000001", "学段": "小学", "专任教师数": 3}]
    write_xlsx(tmp_path / "专任教师情况.xlsx", list(rows[0]), rows)
    with pytest.raises(InputFileError, match="专任教师情况.xlsx.*高于规定学历教师数"):
        read_table(tmp_path / "专任教师情况.xlsx", TEACHERS)


def test_file_discovery(tmp_path):
    make_county(tmp_path)
    (tmp_path / "质量监测结果.csv").write_text("监测类别\n", encoding="utf-8")
    (tmp_path / "质量监测.csv").write_text("学校标识码\n", encoding="utf-8")
    found = find_input_files(tmp_path)
    assert found["monitoring_results"].name == "质量监测结果.csv"
    assert found["monitoring"].name == "质量监测.csv"
    (tmp_path / "专任教师情况.csv").write_text("x", encoding="utf-8")
    with pytest.raises(InputFileError, match="有两个文件"):
        find_input_files(tmp_path)


def test_missing_required_file(tmp_path):
    make_county(tmp_path)
    (tmp_path / "专任教师情况.xlsx").unlink()
    with pytest.raises(InputError, match="专任教师情况"):
        clean_folder(tmp_path)


def test_raw_files_are_never_modified(tmp_path):
    make_county(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    clean_folder(tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_clean_folder_valid(tmp_path):
    make_county(tmp_path, classes=[{"学校标识码": "5001000001", "学段": "小学", "年级": 1, "班号": 1, "学生数": 800}])
    result = clean_folder(tmp_path)
    assert not result.has_errors, result.issues
    assert set(result.tables) == {"schools", "teachers", "classes"}
    assert result.inputs["sha256"].str.len().eq(64).all()
    assert teacher_row  # factory used by other tests
