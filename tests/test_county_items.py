"""The county-items catalogue (县级指标清单) is the codes the evaluation reads, and the template carries them all."""

from functools import cache

import openpyxl
import pandas as pd
import pytest

from analysis import config
from analysis.data.cleaning import clean_folder
from analysis.data.columns import TABLES
from analysis.data.county_items import BY_CODE, ITEMS, RATE, YES_NO, profile_items
from analysis.data.reading import read_table
from analysis.data.templates import template_workbook, write_templates
from analysis.evaluate import guarantee, quality, verdict
from analysis.standards import load_profile
from analysis.standards.status import MISSING


@cache
def sample_tables() -> dict:
    return clean_folder(config.RAW / "sample" / "2025").tables


def county_rows(county_items, profile) -> pd.DataFrame:
    t = sample_tables()
    parts = [guarantee.guarantee_items(t["schools"], t["teachers"], t["classes"], county_items, profile),
             quality.quality_items(t["schools"], county_items, None, None, profile, 2025),
             verdict.veto_rows(county_items, profile)]
    return pd.concat(parts, ignore_index=True)


def test_every_sample_code_and_every_extras_code_is_in_the_catalogue():
    assert set(sample_tables()["county_items"]["item_id"]) <= set(BY_CODE)
    profile = load_profile("national")
    read = {part.get(k) for spec in profile["extras"].values() for part in spec["parts"]
            for k in ("numerator", "denominator", "item", "reference")} - {None}
    assert read <= set(BY_CODE)


@pytest.mark.parametrize("code", [i.code for i in ITEMS if not i.fallback and i.code != "G7"])
def test_each_code_is_read_by_the_evaluation(code):
    """Dropping one code makes its item 缺少数据: the catalogue names nothing the evaluation ignores."""
    profile = load_profile("national")
    items = sample_tables()["county_items"]
    before = county_rows(items, profile)
    after = county_rows(items[items["item_id"] != code], profile)
    parent = BY_CODE[code].parent
    assert not (before.loc[before["parent_id"] == parent, "status"] == MISSING).any()
    assert (after.loc[after["parent_id"] == parent, "status"] == MISSING).any()


def test_profile_items_leave_out_what_the_profile_does_not_apply():
    national = {i.code for i in profile_items(load_profile("national"))}
    anhui = {i.code for i in profile_items(load_profile("anhui_literal"))}  # 001 read literally
    assert national == {i.code for i in ITEMS}  # the extras are off in the national profile
    assert national - anhui == {"G2", "G14_quota_share", "G14_rural_tilt"}
    chongqing = {i.code for i in profile_items(load_profile("chongqing"))}
    assert chongqing - national == {"X_continuing_education_budget", "X_staff_payroll", "X_labour_practice_hours",
                                    "X_comprehensive_practice_hours"}


def test_county_items_template_is_prefilled_with_codes_names_units_and_allowed_values(tmp_path):
    profile = load_profile("national")
    path = tmp_path / "县级指标.xlsx"
    template_workbook(TABLES["county_items"], profile).save(path)
    ws = openpyxl.load_workbook(path)["县级指标"]
    header = [c.value for c in ws[1]]
    assert header == ["指标编号", "指标名称", "数值", "单位", "佐证材料", "取值要求"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == [i.code for i in ITEMS]
    assert rows["G8_teacher_pay"][1:] == ("教师年平均工资收入", None, "元", None, "不小于 0 的数值")
    assert rows["G1"][1] == profile["guarantee"]["G1"]["zh"]  # whole-item codes take the profile's wording
    assert rows["V1"][5].startswith("是/否") and "一票否决" in rows["V1"][5]
    assert rows["G13_primary"][5].startswith("0–1")
    # drop-downs and ranges on the 数值 cells, by kind
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row, col in rng.cells:
                by_cell[ws.cell(row, col).coordinate] = dv
    for r, item in enumerate(ITEMS, 2):
        dv = by_cell[f"C{r}"]
        if item.kind == YES_NO:
            assert (dv.type, dv.formula1) == ("list", '"是,否"')
        elif item.kind == RATE:
            assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "1")
        else:
            assert dv.type in ("whole", "decimal") and dv.formula1 == "0"
    # the reader takes the template as it is: codes recognised, 取值要求 known and not data
    raw = read_table(path, TABLES["county_items"])
    assert raw.unknown_columns == [] and "allowed" not in raw.frame
    assert raw.frame["item_id"].tolist() == [i.code for i in ITEMS]


def test_anhui_literal_template_lists_only_its_items(tmp_path):
    write_templates(tmp_path, load_profile("anhui_literal"))
    ws = openpyxl.load_workbook(tmp_path / "县级指标.xlsx")["县级指标"]
    codes = [r[0] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert "G2" not in codes and "G14_quota_share" not in codes and "G8_teacher_pay" in codes


def _validations(ws) -> dict[str, str]:
    """Column letter → the list a drop-down offers."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = dv.formula1
    return out


def test_enumerated_columns_have_drop_down_lists(tmp_path):
    write_templates(tmp_path)
    schools = openpyxl.load_workbook(tmp_path / "学校基本情况.xlsx")["学校基本情况"]
    header = {c.value: c.column_letter for c in schools[1]}
    lists = _validations(schools)
    assert lists[header["办学类型"]] == '"小学,初级中学,九年一贯制学校,完全中学,十二年一贯制学校,教学点,特殊教育学校,职业学校"'
    assert lists[header["城乡分类"]] == '"城区,镇区,乡村"'
    assert lists[header["办学性质"]] == '"公办,民办"'
    assert lists[header["是否寄宿制学校"]] == '"是,否"'
    teachers = openpyxl.load_workbook(tmp_path / "专任教师情况.xlsx")["专任教师情况"]
    header = {c.value: c.column_letter for c in teachers[1]}
    assert _validations(teachers)[header["学段"]] == '"小学,初中,高中"'
    for wb_path in tmp_path.glob("*.xlsx"):  # Excel refuses a list longer than 255 characters
        for ws in openpyxl.load_workbook(wb_path).worksheets:
            assert all(len(f) <= 257 for f in _validations(ws).values())
