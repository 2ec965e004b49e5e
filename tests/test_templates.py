"""Empty input templates: Chinese headers the reader recognises, and a notes sheet."""

import openpyxl

from analysis.data.columns import TABLES
from analysis.data.reading import read_table
from analysis.data.templates import write_templates


def test_templates_round_trip_through_the_reader(tmp_path):
    paths = write_templates(tmp_path)
    assert len(paths) == len(TABLES)
    for path, table in zip(paths, TABLES.values(), strict=True):
        wb = openpyxl.load_workbook(path)
        assert wb.sheetnames == [table.zh[:31], "填表说明"]
        raw = read_table(path, table)  # every required header is recognised; data rows only where pre-filled
        assert not raw.unknown_columns
        if table.id in ("county_items", "preschool_county_items"):  # pre-filled with every item code the profile needs
            assert not raw.frame.empty
        else:
            assert len(raw.frame) == len(table.rows)
        assert {c.id for c in table.columns} <= set(raw.frame.columns)
    schools = read_table(tmp_path / "学校基本情况.xlsx", TABLES["schools"])
    assert schools.units["equipment_value"] == "万元"


def test_the_unit_cost_template_is_prefilled_with_the_sample_prices(tmp_path):
    from analysis.data.cleaning import clean_sheet
    from analysis.evaluate.plan.costs import lever_table

    write_templates(tmp_path)
    frame, issues = clean_sheet(read_table(tmp_path / "成本单价.xlsx", TABLES["unit_costs"]))
    assert not issues
    sample = lever_table()
    assert dict(zip(frame["lever"], frame["unit_cost"], strict=True)) == {k: v.unit_cost for k, v in sample.items()}
    assert {v.source for v in lever_table(frame).values()} == {"县定单价（成本单价表）"}


def test_templates_are_byte_identical(tmp_path):
    a, b = write_templates(tmp_path / "a"), write_templates(tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
