"""Worksheet cells written as openpyxl 3.1.5 writes them, byte for byte, without its per-cell XML elements.

openpyxl serialises every cell through an ElementTree element and et_xmlfile's namespace-aware writer, most of the
time of saving a results workbook (~190k cells). :func:`rows_xml` formats the same ``<sheetData>`` text directly;
:class:`ExcelWriter` is openpyxl's writer with that in place. A cell this module does not format (a date, rich text,
an array formula, a hyperlink, a comment) leaves the whole sheet to openpyxl's own writer.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from openpyxl.compat import safe_string
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter as _ExcelWriter

PLACEHOLDER = b"<sheetData />"  # what an empty sheetData element serialises to
# a cell's t attribute by its data type: a text is an inline string, a formula has none, the others are as they are
TYPE_ATTR = {"s": ' t="inlineStr"', "f": "", **{kind: f' t="{kind}"' for kind in ("n", "b", "e")}}


def _text(value: str) -> str:
    """Character data escaped as ElementTree escapes it."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    """An attribute value escaped as ElementTree escapes it."""
    return (_text(value).replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;")
            .replace("\t", "&#09;"))


def _inline(value: str) -> str:
    """The ``<is>`` element of an inline string (``xml:space`` kept when it has outer spaces, as openpyxl does)."""
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f"<is><t{space}>{_text(value)}</t></is>"


def rows_xml(ws: Worksheet) -> bytes | None:
    """The ``<sheetData>`` of ``ws`` exactly as openpyxl writes it (UTF-8), or ``None`` when a cell needs openpyxl's
    own writer. Styles are registered (``style_id``) in openpyxl's order, row by row, so styles.xml is unchanged;
    registering some and then returning ``None`` is harmless (openpyxl registers them again in the same order)."""
    cells = ws._cells
    rows: dict[int, list[int]] = {}  # row → its columns (not (key, cell) pairs: a new object per cell)
    for row, col in sorted(cells):
        rows.setdefault(row, []).append(col)
    for row in ws.row_dimensions.keys() - rows.keys():  # a styled row without cells is written too
        rows[row] = []
    letters = [""] + [get_column_letter(c) for c in range(1, ws.max_column + 1)]
    style_ids: dict[bytes, int] = {}  # a style's id by its content (cell.style_id hashes it, per cell)
    texts: dict[str, str] = {}  # a text's <is> element (a sheet repeats its texts)
    out = ["<sheetData>"]
    for row in sorted(rows):
        attrs = {"r": f"{row}"}
        attrs.update(ws.row_dimensions.get(row, {}))
        out.append("<row" + "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items()) + ">")
        for col in rows[row]:
            cell = cells[(row, col)]
            value, kind, style = cell._value, cell.data_type, cell._style
            kind_attr = TYPE_ATTR.get(kind)
            if kind_attr is None or cell._comment is not None or cell.hyperlink is not None:
                return None  # a date, a comment, a link: openpyxl writes the sheet
            styled = style is not None and any(style)  # cell.has_style
            if value is None and not styled:
                continue
            if styled:
                key = style.tobytes()
                style_id = style_ids.get(key)
                if style_id is None:
                    style_id = style_ids[key] = cell.style_id
                start = f'<c r="{letters[col]}{row}" s="{style_id}"{kind_attr}'
            else:
                start = f'<c r="{letters[col]}{row}"{kind_attr}'
            if value is None or value == "":
                out.append(start + " />")
            elif kind == "s" and type(value) is str:
                text = texts.get(value) or texts.setdefault(value, _inline(value))
                out.append(f"{start}>{text}</c>")
            elif kind == "f" and type(value) is str:
                out.append(f"{start}><f>{_text(value[1:])}</f><v /></c>")
            elif kind in ("n", "b") and type(value) in (int, float, bool):
                number = safe_string(value)  # NaN and infinities are empty
                out.append(f"{start}><v>{number}</v></c>" if number else f"{start}><v /></c>")
            elif kind == "e" and type(value) is str:
                out.append(f"{start}><v>{_text(value)}</v></c>")
            else:
                return None
        out.append("</row>")
    out.append("</sheetData>")
    return "".join(out).encode("utf-8", "xmlcharrefreplace")


class SheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer with the rows from :func:`rows_xml`: an empty ``sheetData`` element is written
    in their place and replaced in the file once the sheet is closed."""

    sheet_data: bytes | None = None

    def write_rows(self) -> None:
        self.sheet_data = rows_xml(self.ws)
        if self.sheet_data is None:
            super().write_rows()
        else:
            self.xf.send(Element("sheetData"))

    def close(self) -> None:
        super().close()
        if self.sheet_data is not None:
            with open(self.out, "rb") as src:
                data = src.read()
            with open(self.out, "wb") as dst:  # the temporary file openpyxl zips (its mode stays in the zip)
                dst.write(data.replace(PLACEHOLDER, self.sheet_data, 1))
            self.sheet_data = None


class ExcelWriter(_ExcelWriter):
    """openpyxl's workbook writer with worksheets written by :class:`SheetWriter`."""

    def write_worksheet(self, ws: Worksheet) -> None:
        if self.workbook.write_only:
            return super().write_worksheet(ws)
        # openpyxl 3.1.5's write_worksheet, with SheetWriter for WorksheetWriter
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = SheetWriter(ws)
        writer.write()
        ws._rels = writer._rels
        self._archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()
