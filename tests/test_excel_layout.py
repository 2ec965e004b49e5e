"""results.xlsx in the layout analysts keep: 学校指标 with two header rows (per indicator 标准值 / 实际值 / 是否达标 /
85%基本值 under the indicator's name), print titles on every sheet, and Chinese names in every cell."""

import re

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from test_excel_formulas import PROFILE, sample_results, school_columns
from test_report import make_processed

from analysis.data import catalog, files
from analysis.report import excel
from analysis.report.results import load_results
from analysis.standards.compare import REL_TOL

SUBS = ["标准值", "实际值", "是否达标", "85%基本值"]
SPECS = PROFILE["resources"]
GROUPS = {i: f"{i} {s['zh']}（{s['unit']}）" for i, s in SPECS.items()}

# A machine name: snake_case anywhere, or a word of lower-case ASCII letters (primary, observed, kindergartens …).
# File names (000_….txt, 学校.xlsx) and formulas are not names; capitalised words (Excel, Wilson, ICC) are words.
FILE_NAME = re.compile(r"[\w\-.]+\.(?:txt|csv|xlsx|xls|yaml|html)\b")
SNAKE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")
LOWER_WORD = re.compile(r"(?<![A-Za-z])[a-z]{2,}(?![A-Za-z])")
# columns holding what the county typed (names, raw file and sheet names): shown as given
AS_GIVEN = {"学校名称", "交流至学校", "文件", "工作表", "幼儿园名称"}


def machine_names(wb) -> list[tuple[str, str, str]]:
    """``(sheet, cell, value)`` of every cell that is a machine name, a bool or an English word (see above)."""
    found = []
    for ws in wb.worksheets:
        header_rows = 2 if ws.title == "学校指标" else 1
        headers = {c: ws.cell(1, c).value for c in range(1, ws.max_column + 1)}
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, bool):
                    found.append((ws.title, cell.coordinate, str(value)))
                    continue
                if not isinstance(value, str) or value.startswith("="):
                    continue
                if cell.row > header_rows and headers.get(cell.column) in AS_GIVEN:
                    continue
                text = FILE_NAME.sub("", value)
                if SNAKE.search(text) or LOWER_WORD.search(text):
                    found.append((ws.title, cell.coordinate, value))
    return found


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "results.xlsx"
    files.save_workbook(excel.build_workbook(sample_results(), PROFILE), path)
    return load_workbook(path)


def test_school_sheet_has_two_header_rows_and_a_group_of_four_per_indicator(workbook):
    ws = workbook["学校指标"]
    cols = school_columns(ws)
    ident = [h for g, h in cols if g is None]
    assert ident[:4] == ["学校标识码", "学校名称", "学段", "在校生数"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:A2", "B1:B2", "C1:C2", "D1:D2"} <= merged
    last = 0
    for group in GROUPS.values():
        first = cols[(group, "标准值")]
        assert [cols[(group, s)] for s in SUBS] == list(range(first, first + 4)) and first > last
        letters = [get_column_letter(c) for c in (first, first + 3)]
        assert f"{letters[0]}1:{letters[1]}1" in merged  # the indicator's name over its four columns
        last = first + 3
    assert cols[(None, "达标项数")] == last + 1 and cols[(None, "是否达标")] == last + 2
    assert ws.freeze_panes == "C3"  # below the two header rows, right of 学校名称
    assert ws.print_title_rows == "$1:$2"
    assert ws.auto_filter.ref.startswith("A2:")


def test_basic_value_is_the_profile_floor_ratio_times_the_standard(workbook):
    ws = workbook["学校指标"]
    cols = school_columns(ws)
    floor = PROFILE["school_rule"]["floor_ratio"]
    si = sample_results().school_indicators
    section_zh = {"primary": "小学", "junior": "初中"}
    for r, row in enumerate(si.itertuples(index=False), excel.SCHOOL_FIRST_ROW):
        assert ws.cell(r, cols[(None, "学段")]).value == section_zh[row.section]
        for ind, group in GROUPS.items():
            std, value, met, basic = (ws.cell(r, cols[(group, s)]).value for s in SUBS)
            assert std == SPECS[ind][row.section] and value == pytest.approx(getattr(row, ind), abs=1e-12)
            assert basic == pytest.approx(floor * std, rel=1e-12)
            assert met == ("达标" if value >= std * (1 - REL_TOL) else "未达标")
    assert sum(ws.cell(r, cols[(g, "是否达标")]).value == "未达标" for g in GROUPS.values()
               for r in range(excel.SCHOOL_FIRST_ROW, ws.max_row + 1)) > 0  # the sample has failing cells


def test_another_floor_ratio_changes_the_header_and_the_values():
    profile = {**PROFILE, "school_rule": {**PROFILE["school_rule"], "floor_ratio": 0.8}}
    ws = excel.build_workbook(sample_results(), profile)["学校指标"]
    cols = school_columns(ws)
    group = GROUPS["R1"]
    std = ws.cell(excel.SCHOOL_FIRST_ROW, cols[(group, "标准值")]).value
    assert ws.cell(excel.SCHOOL_FIRST_ROW, cols[(group, "80%基本值")]).value == pytest.approx(0.8 * std)


def test_failing_cells_are_red(workbook):
    ws = workbook["学校指标"]
    cols = school_columns(ws)
    rules = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    first, last = excel.SCHOOL_FIRST_ROW, ws.max_row
    for group in GROUPS.values():
        value_l, met_l = (get_column_letter(cols[(group, s)]) for s in ("实际值", "是否达标"))
        for letter in (value_l, met_l):
            (rule,) = rules[f"{letter}{first}:{letter}{last}"]
            assert rule.formula == [f'${met_l}{first}="未达标"'] and rule.dxf.fill.fgColor.rgb == "FFF8D7DA"


def test_no_sheet_shows_a_machine_name(tmp_path):
    folder = make_processed(tmp_path)
    wb = load_workbook(files.save_workbook(excel.build_workbook(load_results(catalog.loader(folder)), PROFILE),
                                           tmp_path / "results.xlsx"))
    assert machine_names(wb) == []
    assert machine_names(load_workbook(files.save_workbook(excel.build_workbook(sample_results(), PROFILE),
                                                           tmp_path / "sample.xlsx"))) == []


def test_machine_values_become_chinese():
    import pandas as pd

    frame = excel.chinese_values(pd.DataFrame({"ok": [True, False], "comparator": [">=", "<"],
                                               "status": ["observed", "on_track"], "kind": ["observed", "projected"]}))
    assert frame.to_dict("list") == {"ok": ["是", "否"], "comparator": ["≥", "＜"], "status": ["实际值", "预计达标"],
                                     "kind": ["实际", "预测"]}
