"""Tiny raw-data folders for tests: a few schools written the way counties hand them in."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from analysis.data.columns import CLASSES, SCHOOLS, TEACHERS
from analysis.data.files import save_workbook

SCHOOL_HEADERS = [c.zh for c in SCHOOLS.columns if c.required] + ["办学性质", "建校年份", "室内体育用房面积"]


def school_row(code, name, school_type="小学", primary=500, junior=0, urban="城区", **over):
    row = {
        "学校标识码": code, "学校名称": name, "办学类型": school_type, "城乡分类": urban,
        "小学在校生数": primary, "初中在校生数": junior,
        "小学班数": max(1, primary // 40) if primary else 0, "初中班数": max(1, junior // 45) if junior else 0,
        "占地面积": 20 * (primary + junior), "教学及辅助用房面积": 5 * primary + 6 * junior,
        "体育运动场（馆）面积": 8 * primary + 11 * junior, "教学仪器设备资产值": 0.25 * (primary + junior),
        "网络多媒体教室数": max(1, (primary + junior) // 35), "音乐专用教室数": 1, "音乐专用教室面积": 96,
        "美术专用教室数": 1, "美术专用教室面积": 90, "办学性质": "公办", "建校年份": 2005, "室内体育用房面积": 0,
    }
    row.update(over)
    return row


def teacher_row(code, section="小学", n=500, **over):
    per = n / 100
    row = {"学校标识码": code, "学段": section, "专任教师数": round(6 * per), "高于规定学历教师数": round(5 * per),
           "县级及以上骨干教师数": round(1.2 * per), "体育专任教师数": round(0.5 * per) or 1,
           "音乐专任教师数": round(0.3 * per) or 1, "美术专任教师数": round(0.3 * per) or 1,
           "持有教师资格证人数": round(6 * per)}
    row.update(over)
    return row


def write_xlsx(path: Path, headers: list[str], rows: list[dict], title: str | None = None, header_over=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = path.stem[:31]
    r = 1
    if title:
        ws.cell(1, 1, title)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        r = 3
    shown = [(header_over or {}).get(h, h) for h in headers]
    for j, h in enumerate(shown, 1):
        ws.cell(r, j, h)
    for i, row in enumerate(rows, r + 1):
        for j, h in enumerate(headers, 1):
            ws.cell(i, j, row.get(h))
    save_workbook(wb, path)
    return path


def write_csv(path: Path, headers: list[str], rows: list[dict], encoding="utf-8"):
    lines = [",".join(headers)] + [",".join("" if row.get(h) is None else str(row.get(h)) for h in headers)
                                   for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def base_schools(**over: dict) -> list[dict]:
    """The three schools of the minimal county (Excel rows 4, 5, 6 under a title row); ``**{"1": {...}}``
    changes cells of the second school."""
    rows = [school_row("5001000001", "城区一小", primary=800),
            school_row("5001000002", "城关中学", "初级中学", primary=0, junior=900),
            school_row("5001000003", "镇九年一贯制学校", "九年一贯制学校", primary=400, junior=300, urban="镇区")]
    for i, changes in over.items():
        rows[int(i)].update(changes)
    return rows


def base_teachers(**over: dict) -> list[dict]:
    """The four teacher rows of the minimal county (Excel rows 2–5), changed as in :func:`base_schools`."""
    rows = [teacher_row("5001000001", n=800), teacher_row("5001000002", "初中", 900),
            teacher_row("5001000003", "小学", 400), teacher_row("5001000003", "初中", 300)]
    for i, changes in over.items():
        rows[int(i)].update(changes)
    return rows


def make_county(folder: Path, schools=None, teachers=None, classes=None, title="示例县学校基本情况表") -> Path:
    """A minimal valid county-year folder (schools + teachers [+ classes])."""
    folder.mkdir(parents=True, exist_ok=True)
    schools = schools or base_schools()
    if teachers is None:
        teachers = base_teachers()
    headers = list(dict.fromkeys(h for row in schools for h in row))
    write_xlsx(folder / "学校基本情况.xlsx", headers, schools, title=title)
    t_headers = list(dict.fromkeys(h for row in teachers for h in row))
    write_xlsx(folder / "专任教师情况.xlsx", t_headers, teachers)
    if classes is not None:
        write_csv(folder / "班级学生数.csv", [c.zh for c in CLASSES.columns], classes)
    return folder


__all__ = ["base_schools", "base_teachers", "make_county", "school_row", "teacher_row", "write_xlsx", "write_csv", "SCHOOL_HEADERS", "TEACHERS"]
