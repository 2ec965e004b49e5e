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
        raw = read_table(path, table)  # every required header is recognised, no data rows yet
        assert raw.frame.empty == (table.id != "county_items") and not raw.unknown_columns  # items are pre-filled
        assert {c.id for c in table.columns} <= set(raw.frame.columns)
    schools = read_table(tmp_path / "学校基本情况.xlsx", TABLES["schools"])
    assert schools.units["equipment_value"] == "万元"


def test_templates_are_byte_identical(tmp_path):
    a, b = write_templates(tmp_path / "a"), write_templates(tmp_path / "b")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
