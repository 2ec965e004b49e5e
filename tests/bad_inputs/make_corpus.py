"""Broken county-year folders (坏数据语料), one defect each, built deterministically from tests/rawfactory.py.

Every case of ``cases.yaml`` has a builder here, registered under the same id: it writes a small valid county
(3 schools, 4 teacher rows) and then breaks exactly one thing. Nothing binary is committed; the folders are made
at test time (``build(case_id, folder)``) or by hand::

    PYTHONPATH=src python tests/bad_inputs/make_corpus.py /tmp/corpus   # one sub-folder per case
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ holds rawfactory

from rawfactory import base_schools as schools  # noqa: E402
from rawfactory import base_teachers as teachers  # noqa: E402
from rawfactory import make_county, teacher_row, write_csv  # noqa: E402

from analysis.data.columns import CLASSES  # noqa: E402
from analysis.data.files import save_workbook  # noqa: E402

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "cases.yaml"
SCHOOLS_FILE, TEACHERS_FILE, CLASSES_FILE = "学校基本情况.xlsx", "专任教师情况.xlsx", "班级学生数.csv"
BUILDERS: dict[str, Callable[[Path], None]] = {}


def case(case_id: str):
    def register(build: Callable[[Path], None]) -> Callable[[Path], None]:
        BUILDERS[case_id] = build
        return build
    return register


def build(case_id: str, folder: Path) -> Path:
    """Write the broken county-year folder of ``case_id`` into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    BUILDERS[case_id](folder)
    return folder


# ---- a valid base county, and small ways of breaking it -------------------------------------------------------

def county(folder: Path, school_rows=None, teacher_rows=None, classes=None) -> Path:
    return make_county(folder, schools=school_rows or schools(), teachers=teacher_rows or teachers(),
                       classes=classes)


def class_rows() -> list[dict]:
    """城区一小's 20 primary classes of 40 pupils: consistent with its 800 pupils and 20 classes."""
    return [{"学校标识码": "5001000001", "学段": "小学", "年级": 1 + k // 4, "班号": 1 + k % 4, "学生数": 40}
            for k in range(20)]


def edit_sheet(path: Path, edit: Callable) -> None:
    """Open a written workbook, let ``edit(worksheet)`` change it, save it again."""
    wb = openpyxl.load_workbook(path)
    edit(wb.active)
    save_workbook(wb, path)


def as_text_cells(path: Path, prefix: str = "=+-@") -> None:
    """Cells whose text starts with = + - @ stored as text, as Excel does for '=…: openpyxl would store a formula."""
    def edit(ws):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] in prefix:
                    cell.data_type = "s"
    edit_sheet(path, edit)


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (MS-CFB version 3) holding ``streams``: the container of an .xls and of an
    .xlsx with an open password. Streams are padded to 4096 bytes so that none goes to the mini stream."""
    sector, end, free, fat_sect = 512, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    data = [s.ljust(max(4096, -(-len(s) // sector) * sector), b"\0") for s in streams.values()]
    n_dir = -(-(len(streams) + 1) // 4)
    fat, starts, next_free = [fat_sect] + [k + 2 if k + 1 < n_dir else end for k in range(n_dir)], [], 1 + n_dir
    for blob in data:
        n = len(blob) // sector
        starts.append(next_free)
        fat += [next_free + k + 1 if k + 1 < n else end for k in range(n)]
        next_free += n
    assert len(fat) <= sector // 4, "one FAT sector is enough for the corpus"
    fat += [free] * (sector // 4 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, free, right, child) + b"\0" * 16
                + struct.pack("<I", 0) + b"\0" * 16 + struct.pack("<IQ", start, size))

    names = list(streams)
    dirs = entry("Root Entry", 5, 1, free, end, 0) + b"".join(
        entry(name, 2, free, k + 2 if k + 1 < len(names) else free, starts[k], len(data[k]))
        for k, name in enumerate(names))
    dirs = dirs.ljust(n_dir * sector, b"\0")
    header = (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
              + struct.pack("<I", 0) + struct.pack("<I", free) * 108)
    return header + struct.pack(f"<{sector // 4}I", *fat) + dirs + b"".join(data)


def biff_record(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


# ---- file level -------------------------------------------------------------------------------------------------

@case("zero_byte_xlsx")
def _(folder):
    county(folder)
    (folder / SCHOOLS_FILE).write_bytes(b"")


@case("truncated_xlsx")
def _(folder):
    county(folder)
    data = (folder / SCHOOLS_FILE).read_bytes()
    (folder / SCHOOLS_FILE).write_bytes(data[: len(data) // 2])  # a copy interrupted half way


@case("corrupt_sheet_xml")
def _(folder):
    county(folder)
    path = folder / SCHOOLS_FILE
    with zipfile.ZipFile(path) as zin:
        members = {i.filename: zin.read(i) for i in zin.infolist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, blob in members.items():
            zout.writestr(name, b"<worksheet><sheetData><row r='1'><c r='A1'" if "worksheets/sheet" in name else blob)
    path.write_bytes(buf.getvalue())


@case("random_bytes_xlsx")
def _(folder):
    county(folder)
    (folder / SCHOOLS_FILE).write_bytes(random.Random(16).randbytes(3000))


@case("encrypted_xlsx")
def _(folder):
    county(folder)
    rng = random.Random(16)
    (folder / SCHOOLS_FILE).write_bytes(cfb({"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00" + rng.randbytes(200),
                                             "EncryptedPackage": rng.randbytes(6000)}))


@case("encrypted_xls")
def _(folder):
    county(folder)
    (folder / TEACHERS_FILE).unlink()
    bof = biff_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    filepass = biff_record(0x002F, struct.pack("<H", 1) + b"\0" * 52)  # RC4 encryption header
    workbook = bof + filepass + biff_record(0x000A, b"")
    (folder / "专任教师情况.xls").write_bytes(cfb({"Workbook": workbook}))


@case("xlsx_named_xls")
def _(folder):
    county(folder)
    (folder / TEACHERS_FILE).rename(folder / "专任教师情况.xls")  # content is xlsx, extension says xls


@case("csv_named_xlsx")
def _(folder):
    county(folder)
    rows = schools()
    write_csv(folder / SCHOOLS_FILE, list(rows[0]), rows)  # a CSV export saved under an .xlsx name


@case("empty_sheet")
def _(folder):
    county(folder)
    wb = openpyxl.Workbook()
    wb.active.title = "学校基本情况"
    save_workbook(wb, folder / SCHOOLS_FILE)


@case("header_only")
def _(folder):
    county(folder)
    edit_sheet(folder / SCHOOLS_FILE, lambda ws: ws.delete_rows(4, 3))


@case("stray_value_a1048576")
def _(folder):
    county(folder)
    edit_sheet(folder / SCHOOLS_FILE, lambda ws: ws.cell(1048576, 1, "备注：数据截至9月"))


@case("stray_value_xfd1048576")
def _(folder):
    county(folder)
    edit_sheet(folder / SCHOOLS_FILE, lambda ws: ws.cell(1048576, 16384, "x"))


@case("total_row")
def _(folder):
    rows = schools() + [{"学校名称": "合计", "小学在校生数": 1200, "初中在校生数": 1200}]
    county(folder, rows)


# ---- encodings --------------------------------------------------------------------------------------------------

@case("gbk_csv_no_bom")
def _(folder):
    county(folder)
    write_csv(folder / CLASSES_FILE, [c.zh for c in CLASSES.columns], class_rows(), encoding="gbk")


@case("utf8_bom_csv")
def _(folder):
    county(folder)
    write_csv(folder / CLASSES_FILE, [c.zh for c in CLASSES.columns], class_rows(), encoding="utf-8-sig")


@case("undecodable_csv")
def _(folder):
    county(folder)
    write_csv(folder / CLASSES_FILE, [c.zh for c in CLASSES.columns], class_rows())
    data = (folder / CLASSES_FILE).read_bytes().splitlines(keepends=True)
    data[3] = data[3].replace(b"5001000001", b"50010\xff\xfe001")  # neither UTF-8 nor GB18030
    (folder / CLASSES_FILE).write_bytes(b"".join(data))


@case("utf16_csv")
def _(folder):
    county(folder)
    write_csv(folder / CLASSES_FILE, [c.zh for c in CLASSES.columns], class_rows(), encoding="utf-16")


# ---- headers ----------------------------------------------------------------------------------------------------

@case("missing_required_column")
def _(folder):
    rows = teachers()
    for r in rows:
        del r["美术专任教师数"]
    county(folder, teacher_rows=rows)


@case("duplicated_column")
def _(folder):
    county(folder)
    edit_sheet(folder / TEACHERS_FILE, lambda ws: ws.cell(1, ws.max_column + 1, "专任教师数"))


@case("renamed_beyond_aliases")
def _(folder):
    county(folder)
    edit_sheet(folder / TEACHERS_FILE, lambda ws: setattr(ws.cell(1, 1), "value", "学校编号"))


@case("header_on_row_30")
def _(folder):
    county(folder)
    edit_sheet(folder / TEACHERS_FILE, lambda ws: ws.insert_rows(1, 29))


@case("unknown_extra_column")
def _(folder):
    county(folder)
    edit_sheet(folder / TEACHERS_FILE, lambda ws: ws.cell(1, ws.max_column + 1, "备注"))


# ---- values -----------------------------------------------------------------------------------------------------

@case("text_in_number")
def _(folder):
    county(folder, schools(**{"0": {"小学在校生数": "约800"}}))


@case("negative_area")
def _(folder):
    county(folder, schools(**{"1": {"教学及辅助用房面积": -10}}))


@case("value_1e308")
def _(folder):
    county(folder, schools(**{"0": {"占地面积": 1e308}}))


@case("equipment_overflow_after_wan")
def _(folder):
    county(folder, schools(**{"2": {"教学仪器设备资产值": 3e12}}))  # 3e12 万元 = 3e16 元 > 2**53


@case("infinity_text")
def _(folder):
    county(folder, schools(**{"0": {"体育运动场（馆）面积": "inf"}}))


@case("percent_in_area")
def _(folder):
    county(folder, schools(**{"0": {"体育运动场（馆）面积": "85%"}}))


@case("fullwidth_digits")
def _(folder):
    county(folder, schools(**{"0": {"小学在校生数": "８００", "教学及辅助用房面积": "４，０００ "}}))


@case("blank_required_cell")
def _(folder):
    county(folder, schools(**{"2": {"学校名称": None}}))


@case("date_in_student_count")
def _(folder):
    county(folder, schools(**{"1": {"初中在校生数": dt.datetime(2025, 9, 1)}}))


@case("date_as_founded_year")
def _(folder):
    county(folder, schools(**{"0": {"建校年份": dt.datetime(2005, 9, 1)}}))


@case("unknown_school_type")
def _(folder):
    county(folder, schools(**{"0": {"办学类型": "幼儿园"}}))


@case("formula_without_cached_value")
def _(folder):
    county(folder, schools(**{"0": {"小学在校生数": "=SUM(B1:B3)"}}))  # stored as a formula, never evaluated


# ---- keys -------------------------------------------------------------------------------------------------------

@case("duplicate_school_code")
def _(folder):
    county(folder, schools(**{"1": {"学校标识码": "5001000001"}}))


@case("teacher_row_unknown_school")
def _(folder):
    county(folder, teacher_rows=teachers(**{"1": {"学校标识码": "5001009999"}}))


@case("lost_leading_zeros")
def _(folder):
    codes = (500100001, 500100002, 500100003)  # 0500100001 … stored as numbers in every file
    school_rows = schools(**{str(i): {"学校标识码": c} for i, c in enumerate(codes)})
    teacher_rows = teachers(**{"0": {"学校标识码": codes[0]}, "1": {"学校标识码": codes[1]},
                               "2": {"学校标识码": codes[2]}, "3": {"学校标识码": codes[2]}})
    county(folder, school_rows, teacher_rows)


@case("one_short_code")
def _(folder):
    county(folder, schools(**{"0": {"学校标识码": "500100001"}}), teachers(**{"0": {"学校标识码": "500100001"}}))


@case("missing_teacher_row")
def _(folder):
    county(folder, teacher_rows=teachers()[:3])  # no 初中 row for the nine-year school


# ---- injection (accepted here; test_bad_inputs also runs the pipeline on them) ----------------------------------

INJECTION_NAMES = {
    "hyperlink_school_name": '=HYPERLINK("http://evil.invalid","点击")',
    "script_school_name": "<script>alert('学校')</script>",
    "plus_cmd_school_name": "+cmd|' /C calc'!A0",
    "at_sum_school_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "minus_formula_school_name": "-2+3+cmd|' /C calc'!A0",
    "img_onerror_school_name": '<img src=x onerror="alert(1)">城区一小',
}


def _injection(name: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        county(folder, schools(**{"0": {"学校名称": name}}))
        as_text_cells(folder / SCHOOLS_FILE)
    return write


for _id, _name in INJECTION_NAMES.items():
    case(_id)(_injection(_name))


# ---- semantics --------------------------------------------------------------------------------------------------

@case("section_type_mismatch")
def _(folder):
    county(folder, schools(**{"0": {"初中在校生数": 40}}))


@case("zero_students_section")
def _(folder):
    county(folder, schools(**{"1": {"初中在校生数": 0, "初中班数": 0}, "2": {"初中在校生数": 0, "初中班数": 0}}),
           teachers()[:3])


@case("subcount_above_total")
def _(folder):
    county(folder, teacher_rows=teachers(**{"2": {"高于规定学历教师数": 99}}))


@case("rotated_key_above_rotated")
def _(folder):
    county(folder, teacher_rows=teachers(**{"0": {"本年交流轮岗教师数": 2, "其中骨干教师数": 5}}))


@case("one_school_section")
def _(folder):
    county(folder, schools(**{"2": {"初中在校生数": 0, "初中班数": 0}}), teachers()[:3])


@case("class_total_mismatch")
def _(folder):
    rows = class_rows()
    rows[0]["学生数"] = 30
    county(folder, classes=rows)


@case("teacher_section_not_taught")
def _(folder):
    county(folder, teacher_rows=teachers() + [teacher_row("5001000001", "初中", 100)])


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "bad_inputs_corpus")
    for case_id in BUILDERS:
        print(build(case_id, out / case_id))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

__all__ = ["BUILDERS", "CASES_FILE", "INJECTION_NAMES", "build"]
