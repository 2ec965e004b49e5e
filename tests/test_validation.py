"""Each validation rule with a failing case; all problems of a folder are reported at once."""

import pytest
from rawfactory import base_schools, make_county, school_row, teacher_row

from analysis.data.cleaning import InputError, clean_folder


def _errors(result, rule=None):
    e = result.issues[result.issues["severity"] == "error"]
    return e if rule is None else e[e["rule"] == rule]


_schools = base_schools


def test_valid_folder_has_no_errors(tmp_path):
    assert _errors(clean_folder(make_county(tmp_path))).empty


def test_non_numeric_cell_names_file_row_column(tmp_path):
    result = clean_folder(make_county(tmp_path, schools=_schools(**{"1": {"初中在校生数": "约300"}})))
    e = _errors(result, "type")
    assert len(e) == 1
    r = e.iloc[0]
    assert (r.file, r.row, r.column, r.value) == ("学校基本情况.xlsx", 5, "初中在校生数", "约300")
    assert r.expected == "整数"
    assert _errors(result, "required").empty  # the same cell is not reported twice


def test_negative_area(tmp_path):
    e = _errors(clean_folder(make_county(tmp_path, schools=_schools(**{"0": {"教学及辅助用房面积": -10}}))), "range")
    assert e.iloc[0]["column"] == "教学及辅助用房面积" and e.iloc[0]["row"] == 4
    assert "不小于 0" in e.iloc[0]["expected"]


def test_required_cell_empty(tmp_path):
    e = _errors(clean_folder(make_county(tmp_path, schools=_schools(**{"2": {"学校名称": None}}))), "required")
    assert e.iloc[0]["column"] == "学校名称" and e.iloc[0]["row"] == 6


def test_duplicate_school_code(tmp_path):
    e = _errors(clean_folder(make_county(tmp_path, schools=_schools(**{"1": {"学校标识码": "5001000001"}}))), "unique")
    assert set(e["row"]) == {4, 5} and (e["column"] == "学校标识码").all()


def test_bad_enum_value(tmp_path):
    e = _errors(clean_folder(make_county(tmp_path, schools=_schools(**{"0": {"办学类型": "幼儿园"}}))), "type")
    assert e.iloc[0]["value"] == "幼儿园" and "小学" in e.iloc[0]["expected"]


def test_section_inconsistent_with_school_type(tmp_path):
    e = _errors(clean_folder(make_county(tmp_path, schools=_schools(**{"0": {"初中在校生数": 40}}))), "section_type")
    assert e.iloc[0]["column"] == "初中在校生数" and e.iloc[0]["row"] == 4


def test_teacher_rows_must_match_schools(tmp_path):
    teachers = [teacher_row("5001000001", n=800), teacher_row("5001000002", "初中", 900),
                teacher_row("5001000003", "小学", 400), teacher_row("5001000003", "初中", 300),
                teacher_row("5009999999", "小学", 100), teacher_row("5001000001", "初中", 100)]
    result = clean_folder(make_county(tmp_path, teachers=teachers))
    unknown = _errors(result, "unknown_school")
    assert unknown.iloc[0]["value"] == "5009999999" and unknown.iloc[0]["file"] == "专任教师情况.xlsx"
    wrong_section = _errors(result, "section_type")
    assert wrong_section.iloc[0]["row"] == 7 and wrong_section.iloc[0]["column"] == "学段"


def test_missing_teacher_row_for_taught_section(tmp_path):
    teachers = [teacher_row("5001000001", n=800), teacher_row("5001000002", "初中", 900),
                teacher_row("5001000003", "小学", 400)]
    e = _errors(clean_folder(make_county(tmp_path, teachers=teachers)), "missing_teacher_row")
    assert e.iloc[0]["value"] == "5001000003/初中"


def test_teacher_subcount_above_total(tmp_path):
    teachers = [teacher_row("5001000001", n=800, 高于规定学历教师数=99), teacher_row("5001000002", "初中", 900),
                teacher_row("5001000003", "小学", 400), teacher_row("5001000003", "初中", 300)]
    e = _errors(clean_folder(make_county(tmp_path, teachers=teachers)), "subset")
    assert e.iloc[0]["column"] == "高于规定学历教师数"


def test_outlier_is_a_warning_and_run_goes_on(tmp_path):
    schools = _schools(**{"0": {"教学及辅助用房面积": 800 * 5 * 40}})
    schools += [school_row(f"500100001{i}", f"村小{i}", primary=200, urban="乡村") for i in range(4)]
    teachers = [teacher_row("5001000001", n=800), teacher_row("5001000002", "初中", 900),
                teacher_row("5001000003", "小学", 400), teacher_row("5001000003", "初中", 300)]
    teachers += [teacher_row(f"500100001{i}", n=200) for i in range(4)]
    result = clean_folder(make_county(tmp_path, schools=schools, teachers=teachers))
    w = result.issues[result.issues["rule"] == "outlier"]
    assert len(w) == 1 and w.iloc[0]["severity"] == "warning" and w.iloc[0]["row"] == 4
    assert not result.has_errors


def test_class_rows(tmp_path):
    classes = [{"学校标识码": "5001000001", "学段": "小学", "年级": 1, "班号": 1, "学生数": 700},
               {"学校标识码": "5001000009", "学段": "小学", "年级": 1, "班号": 1, "学生数": 40},
               {"学校标识码": "5001000002", "学段": "初中", "年级": 7, "班号": 1, "学生数": -3}]
    result = clean_folder(make_county(tmp_path, classes=classes))
    assert _errors(result, "unknown_school").iloc[0]["row"] == 3
    assert _errors(result, "range").iloc[0]["row"] == 4
    assert "class_total" in set(result.issues["rule"])


def test_all_problems_reported_at_once_and_raise(tmp_path):
    schools = _schools(**{"0": {"教学及辅助用房面积": -1}, "1": {"初中在校生数": "abc"}, "2": {"城乡分类": "郊区"}})
    result = clean_folder(make_county(tmp_path, schools=schools))
    assert len(_errors(result)) == 3
    with pytest.raises(InputError) as exc:
        raise InputError(result.issues)
    text = str(exc.value)
    assert "3 个错误" in text and "第4行" in text and "城乡分类" in text


def test_defect_fixture_every_listed_problem_found_and_nothing_else():
    """tests/fixtures/defects: a sample-county year with deliberate defects listed in defects.yaml."""
    from pathlib import Path

    import yaml

    folder = Path(__file__).parent / "fixtures" / "defects"
    expected = yaml.safe_load((folder / "defects.yaml").read_text(encoding="utf-8"))["defects"]
    issues = clean_folder(folder).issues
    issues = issues[issues["rule"] != "class_total"]  # consequences of the unparsable student count
    for d in expected:
        hit = issues[(issues["file"] == d["file"]) & (issues["row"] == d["row"]) & (issues["column"] == d["column"])
                     & (issues["severity"] == d["severity"])]
        assert len(hit) == 1, d
        assert hit.iloc[0]["value"] == str(d["value"]), d
    found = {(r.file, r.row, r.column) for r in issues.itertuples()}
    listed = {(d["file"], d["row"], d["column"]) for d in expected}
    listed |= {(d["file"], d["first_row"], d["column"]) for d in expected if "first_row" in d}
    assert found == listed
    with pytest.raises(InputError):
        from analysis.data.cleaning import stop_on_errors

        stop_on_errors(clean_folder(folder))
