"""The user documents generated from the code (用户文档): docs/输入数据说明.md and docs/县级指标清单.md.

``python -m analysis.data.docs`` rewrites both from the input contract (analysis.data.columns) and the county-items
catalogue (analysis.data.county_items); a test checks the committed files are what this module writes.
"""

from __future__ import annotations

from pathlib import Path

from analysis.data.columns import TABLES
from analysis.data.county_items import ITEMS, item_name, profile_items
from analysis.data.templates import KIND_ZH, header_text
from analysis.standards import available_profiles, load_profile

DOCS = Path(__file__).resolve().parents[3] / "docs"
INPUT_DOC, ITEMS_DOC = "输入数据说明.md", "县级指标清单.md"


def _cell(text: object) -> str:
    return str(text).replace("|", "／").replace("\n", " ")


def input_contract_markdown() -> str:
    """Every input table: file name, required or not, and each column's header, type, unit, required, values."""
    lines = ["# 输入数据说明", "",
             "每个县每个年份一个文件夹：`data/raw/<县>/<年份>/`，每张表一个文件。文件可为 .xlsx、.xls 或 .csv"
             "（CSV 用 UTF-8 或 GBK 编码）；文件名含表名即可（如 `2025年学校基本情况表.xlsx`），"
             "文件名不含表名时按表头识别。表头上方可以有标题行，表头可以带单位（如“教学仪器设备资产值（万元）”）；"
             "数字可含千位分隔符或全角数字；“合计”行和表下方的签字行（填表人、审核人、日期）会被忽略。",
             "", "用 `analysis templates 模板文件夹` 生成全部空白模板（中文表头、下拉列表，县级指标已预填）；"
             "用 `analysis validate data/raw/<县>/<年份>` 检查数据。", "",
             "本文件由 `python -m analysis.data.docs` 从代码生成。", ""]
    for t in TABLES.values():
        lines += [f"## {t.zh}（{'必需' if t.required else '可选'}）", "",
                  f"文件名：`{t.zh}.xlsx`。" + (f"{t.note}。" if t.note else ""), "",
                  "| 表头 | 类型 | 单位 | 必填 | 取值/说明 |", "| --- | --- | --- | --- | --- |"]
        for c in t.columns:
            values = "/".join(dict.fromkeys(c.values)) if c.values else ""
            rng = ""
            if c.kind in ("int", "float") and (c.min is not None or c.max is not None):
                rng = f"{'' if c.min is None else f'≥ {c.min:g}'}{'' if c.max is None else f' ≤ {c.max:g}'}".strip()
            aliases = f"也可写作：{'、'.join(c.aliases)}" if c.aliases else ""
            note = "；".join(x for x in (values, rng, c.note, aliases) if x)
            lines.append(f"| {_cell(header_text(c))} | {KIND_ZH[c.kind]} | {c.unit} | {'是' if c.required else '否'} "
                         f"| {_cell(note)} |")
        lines.append("")
    return "\n".join(lines)


def county_items_markdown() -> str:
    """Every county item code: name, unit, allowed values and the profiles that read it."""
    national = load_profile("national")
    profiles = {p: {i.code for i in profile_items(load_profile(p))} for p in available_profiles()}
    lines = ["# 县级指标清单", "",
             "县级指标表（`县级指标.xlsx`）每行一个项目。`analysis templates` 生成的模板已按评估口径预填下表的编号、"
             "名称、单位和取值要求：县里只填“数值”和“佐证材料”。没有填写的项目在报告中显示为“缺少数据”，结论为"
             "“不予认定”；`analysis validate` 会列出这些项目。", "",
             "“仅作补充”的项目只在学校基本情况表缺少相应列时读取。本文件由 `python -m analysis.data.docs` 从代码生成。",
             "", "| 编号 | 名称 | 单位 | 取值要求 | 所属评估项 | 适用口径 |", "| --- | --- | --- | --- | --- | --- |"]
    for item in ITEMS:
        used = [p for p, codes in profiles.items() if item.code in codes]
        scope = "全部" if len(used) == len(profiles) else "、".join(used)
        lines.append(f"| `{item.code}` | {_cell(item_name(item, national))} | {item.unit} | {_cell(item.allowed)} "
                     f"| {item.parent}{'（仅作补充）' if item.fallback else ''} | {scope} |")
    return "\n".join(lines) + "\n"


def write_docs(folder: Path = DOCS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, text in ((INPUT_DOC, input_contract_markdown()), (ITEMS_DOC, county_items_markdown())):
        (folder / name).write_text(text, encoding="utf-8")
        out.append(folder / name)
    return out


if __name__ == "__main__":
    for path in write_docs():
        print(path)
