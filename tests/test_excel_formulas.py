"""results.xlsx: the 差异系数 sheet's live formulas recompute every CV from the school sheet (to 1e-9), print
set-up, and Chinese names for every stock."""

import math
import re
from functools import cache

import numpy as np
import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from analysis import config
from analysis.data.cleaning import clean_folder
from analysis.data.files import save_workbook
from analysis.evaluate import indicators, variation
from analysis.report import excel
from analysis.report.results import Results
from analysis.standards import load_profile

PROFILE = load_profile("chongqing")


@cache
def sample_results() -> Results:
    tables = clean_folder(config.RAW / "sample" / "2025").tables
    sections, excluded = indicators.school_sections(tables["schools"], tables["teachers"], PROFILE)
    si = indicators.school_compliance(indicators.indicator_values(sections, PROFILE), PROFILE)
    return Results(school_indicators=si[indicators.output_columns(PROFILE)], excluded=excluded,
                   cv=variation.cv_table(si, PROFILE))


# A small evaluator of the formula forms the workbook uses: SUMPRODUCT, SQRT, IF, + - * / ^, comparisons,
# string literals, cell references and ranges (sheet-qualified or not). Ranges become numpy arrays.
TOKEN = re.compile(r"""\s*(?:(?P<range>(?:'[^']+'!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)|(?P<num>\d+(?:\.\d+)?)|
                   (?P<str>"[^"]*")|(?P<func>[A-Z]+)\(|(?P<op><>|<=|>=|[-+*/^=<>(),]))""", re.X)


class Evaluator:
    def __init__(self, wb, sheet: str):
        self.wb, self.sheet = wb, sheet

    def cell(self, sheet: str, ref: str):
        value = self.wb[sheet][ref.replace("$", "")].value
        if isinstance(value, str) and value.startswith("="):
            return Evaluator(self.wb, sheet).evaluate(value)
        return value

    def ref(self, text: str):
        sheet, ref = (text.split("!") if "!" in text else (self.sheet, text))
        sheet = sheet.strip("'")
        if ":" not in ref:
            return self.cell(sheet, ref)
        a, b = (r.replace("$", "") for r in ref.split(":"))
        ca, ra = re.match(r"([A-Z]+)(\d+)", a).groups()
        cb, rb = re.match(r"([A-Z]+)(\d+)", b).groups()
        assert ca == cb, "one-column ranges only"
        col = column_index_from_string(ca)
        return np.array([self.wb[sheet].cell(r, col).value for r in range(int(ra), int(rb) + 1)], dtype=object)

    def evaluate(self, formula: str):
        self.tokens = [m for m in TOKEN.finditer(formula[1:])]
        assert "".join(m.group(0) for m in self.tokens).replace(" ", "") == formula[1:].replace(" ", "")
        self.pos = 0
        value = self.comparison()
        assert self.pos == len(self.tokens)
        return value

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op=None):
        tok = self.tokens[self.pos]
        if op is not None:
            assert tok.group("op") == op, (tok.group(0), op)
        self.pos += 1
        return tok

    def comparison(self):
        left = self.additive()
        tok = self.peek()
        if tok is not None and tok.group("op") in ("=", "<>", "<", ">", "<=", ">="):
            op = self.take().group("op")
            right = self.additive()
            f = {"=": np.equal, "<>": np.not_equal, "<": np.less, ">": np.greater, "<=": np.less_equal,
                 ">=": np.greater_equal}[op]
            return f(np.asarray(left, dtype=object), np.asarray(right, dtype=object))
        return left

    def additive(self):
        value = self.term()
        while (tok := self.peek()) is not None and tok.group("op") in ("+", "-"):
            op = self.take().group("op")
            right = self.term()
            value = value + right if op == "+" else value - right
        return value

    def term(self):
        value = self.power()
        while (tok := self.peek()) is not None and tok.group("op") in ("*", "/"):
            op = self.take().group("op")
            right = self.power()
            value = self._num(value) * self._num(right) if op == "*" else self._num(value) / self._num(right)
        return value

    def power(self):
        value = self.unary()
        while (tok := self.peek()) is not None and tok.group("op") == "^":
            self.take()
            value = self._num(value) ** self._num(self.unary())
        return value

    def unary(self):
        tok = self.peek()
        if tok.group("op") == "-":
            self.take()
            return -self._num(self.unary())
        return self.atom()

    @staticmethod
    def _num(v):
        return np.asarray(v, dtype=float) if isinstance(v, np.ndarray) else float(v)

    def atom(self):
        tok = self.take()
        if tok.group("num"):
            return float(tok.group("num"))
        if tok.group("str"):
            return tok.group("str")[1:-1]
        if tok.group("range"):
            return self.ref(tok.group("range"))
        if tok.group("op") == "(":
            value = self.comparison()
            self.take(")")
            return value
        func = tok.group("func")
        args = [self.comparison()]
        while self.peek().group("op") == ",":
            self.take(",")
            args.append(self.comparison())
        self.take(")")
        if func == "SUMPRODUCT":
            return float(np.sum(self._num(args[0]) if len(args) == 1 else np.prod([self._num(a) for a in args], 0)))
        if func == "SQRT":
            return math.sqrt(self._num(args[0]))
        if func == "IF":
            return args[1] if bool(args[0]) else args[2]
        raise AssertionError(f"function {func} not supported")


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("xlsx") / "results.xlsx"
    save_workbook(excel.build_workbook(sample_results(), PROFILE), path)
    return load_workbook(path)


def test_cv_formulas_recompute_every_cv_to_1e_9(workbook):
    ws = workbook["差异系数"]
    headers = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(headers)}
    cv = sample_results().cv
    assert len(cv) == ws.max_row - 1 == 14
    ev = Evaluator(workbook, "差异系数")
    for r, row in enumerate(cv.itertuples(index=False), 2):
        assert ws.cell(r, col["指标"]).value == row.indicator
        formula = ws.cell(r, col["Excel重算：差异系数"]).value
        assert formula.startswith("=") and "SUMPRODUCT" in ws.cell(r, col["Excel重算：加权均值"]).value
        assert ev.evaluate(ws.cell(r, col["Excel重算：加权均值"]).value) == pytest.approx(row.weighted_mean, abs=1e-9)
        assert ev.evaluate(ws.cell(r, col["Excel重算：标准差"]).value) == pytest.approx(row.std, abs=1e-9)
        assert ev.evaluate(formula) == pytest.approx(row.cv, abs=1e-9)


def school_columns(ws) -> dict[tuple[str | None, str], int]:
    """学校指标's two header rows: ``(group, sub) → column``; a column without a group is ``(None, header)``."""
    out, group = {}, None
    for c in range(1, ws.max_column + 1):
        top, sub = ws.cell(1, c).value, ws.cell(2, c).value
        if sub is None:  # merged over both rows
            out[(None, top)], group = c, None
        else:
            group = top if top is not None else group
            out[(group, sub)] = c
    return out


def test_cv_formula_follows_a_changed_school_value(workbook):
    """The formulas are live: change one school's R4 and the recomputed CV moves (the stored one cannot)."""
    ws = workbook["学校指标"]
    cols = school_columns(ws)
    spec = PROFILE["resources"]["R4"]
    r4 = cols[(f"R4 {spec['zh']}（{spec['unit']}）", "实际值")]
    first = excel.SCHOOL_FIRST_ROW
    old = ws.cell(first, r4).value
    cv_ws = workbook["差异系数"]
    cv_headers = [c.value for c in cv_ws[1]]
    row = next(r for r in range(2, cv_ws.max_row + 1) if cv_ws.cell(r, 2).value == "R4"
               and cv_ws.cell(r, 1).value == ws.cell(first, cols[(None, "学段")]).value)
    cell = cv_ws.cell(row, cv_headers.index("Excel重算：差异系数") + 1).value
    before = Evaluator(workbook, "差异系数").evaluate(cell)
    ws.cell(first, r4).value = old * 3
    try:
        assert Evaluator(workbook, "差异系数").evaluate(cell) != pytest.approx(before, abs=1e-6)
    finally:
        ws.cell(first, r4).value = old


def test_every_sheet_prints_landscape_one_page_wide_with_repeated_header(workbook):
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == ("$1:$2" if ws.title == "学校指标" else "$1:$1")


def test_stock_fields_have_chinese_names(tmp_path):
    import pandas as pd

    planning = pd.DataFrame({"school_code": ["5001"], "stock_field": ["sports_area_m2"], "stock": [100.0]})
    wb = excel.build_workbook(Results(planning=planning), PROFILE)
    ws = wb["整改计划"]
    assert ws["B2"].value == "体育运动场（馆）面积（㎡）"
