"""Validation of cleaned raw tables (数据校验): pandera schemas built from the column contract, and cross-table rules.

Every problem becomes an :class:`Issue` (file, sheet, row, column, value, expected, severity). Errors stop the
run; warnings (e.g. an area per student ten times the county median) are listed and the run goes on.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import pandas as pd
import pandera.pandas as pa

from analysis.config import SECTION_ZH
from analysis.data.columns import PLANNED_TEACHER_STOCKS, SCHOOL_TYPE_ZH, SECTIONS_BY_TYPE, TABLES, Table

ISSUE_COLUMNS = ["file", "sheet", "row", "column", "value", "expected", "severity", "rule"]
OUTLIER_FACTOR = 10  # a data-quality heuristic (not an evaluation threshold): >10× the county median is suspicious
OUTLIER_FIELDS = {"teaching_rooms_m2": "教学及辅助用房面积", "sports_area_m2": "体育运动场（馆）面积",
                  "land_area_m2": "占地面积", "equipment_value_yuan": "教学仪器设备资产值"}
SCHOOL_CODE_DIGITS = 10  # 学校标识码 is a 10-digit text code (a format, not a threshold)
# Types that teach compulsory pupils but are not evaluated on R1–R7 (000_7663589297cde400.txt 附件2 备注)
NOT_EVALUATED_TYPES = ("special_ed_school", "vocational_school")
TEACHER_SUBSETS = {"teachers_above_degree": "高于规定学历教师数", "key_teachers": "县级及以上骨干教师数",
                   "certified_teachers": "持有教师资格证人数", "trained_360h": "五年周期内完成360学时培训人数"}


@dataclass(frozen=True)
class Issue:
    file: str
    sheet: str
    row: int | None
    column: str
    value: object
    expected: str
    severity: str  # error | warning
    rule: str


def issues_frame(issues: list[Issue]) -> pd.DataFrame:
    """Issues as a table, one per cell: a type error is not repeated as 'missing' by the schema check."""
    rows = [astuple(i) for i in issues]
    frame = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    frame["value"] = frame["value"].map(lambda v: "" if v is None else str(v))
    frame["row"] = frame["row"].astype("Int64")
    frame = frame.drop_duplicates(subset=["file", "sheet", "row", "column", "severity"], keep="first")
    order = frame["severity"].map({"error": 0, "warning": 1})
    frame = frame.assign(_o=order).sort_values(["_o", "file", "row", "column"], kind="stable", na_position="first")
    return frame.drop(columns="_o").reset_index(drop=True)


def table_schema(table: Table) -> pa.DataFrameSchema:
    """pandera schema of a cleaned table: required cells present, numeric ranges, unique key."""
    columns = {}
    for col in table.columns:
        checks = []
        if col.kind in ("int", "float"):
            if col.min is not None:
                checks.append(pa.Check.ge(col.min, error=f">= {col.min:g}"))
            if col.max is not None:
                checks.append(pa.Check.le(col.max, error=f"<= {col.max:g}"))
        if col.kind == "code":
            checks.append(pa.Check(lambda v: isinstance(v, str) and v.isdigit(), element_wise=True,
                                   error="digits only"))
        columns[col.id] = pa.Column(None, checks=checks, nullable=not col.required, required=False, coerce=False)
    return pa.DataFrameSchema(columns, unique=list(table.key) or None, report_duplicates="all")


def _expected(check: str, col_kind: str) -> str:
    if check == "not_nullable":
        return "必填，不能为空"
    if check.startswith(">="):
        return f"不小于 {check[2:].strip()}"
    if check.startswith("<="):
        return f"不大于 {check[2:].strip()}"
    if "unique" in check or "uniqueness" in check:
        return "唯一（不能重复）"
    if check == "digits only":
        return "只含数字的学校标识码"
    return check


def schema_issues(frame: pd.DataFrame, table: Table, file: str, sheet: str, headers: dict[str, str]) -> list[Issue]:
    """Run the pandera schema lazily and turn every failure case into an Issue with its Excel row."""
    data = frame.set_index("source_row")
    for col in table.columns:
        if col.kind in ("int", "float") and col.id in data:
            data[col.id] = pd.to_numeric(data[col.id], errors="coerce")
    try:
        table_schema(table).validate(data, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    issues = []
    for case in cases.itertuples(index=False):
        column = case.column if isinstance(case.column, str) and case.column in data else None
        check = str(case.check)
        if column is None and "unique" in check:  # key duplicates: report on the key's first column
            column = table.key[0]
        if column is None:
            issues.append(Issue(file, sheet, None, str(case.column), case.failure_case, check, "error", "schema"))
            continue
        row = None if pd.isna(case.index) else int(case.index)
        col_kind = table.column(column).kind
        value = case.failure_case if not (isinstance(case.failure_case, float) and pd.isna(case.failure_case)) else ""
        rule = "unique" if "unique" in check else "required" if check == "not_nullable" else "range"
        issues.append(Issue(file, sheet, row, headers.get(column, table.column(column).zh), value,
                            _expected(check, col_kind), "error", rule))
    return issues


def validate_tables(tables: dict[str, pd.DataFrame], sources: dict) -> list[Issue]:
    """Schema checks of every table, then the rules that look across tables."""
    issues: list[Issue] = []
    for tid, frame in tables.items():
        src = sources[tid]
        absent = set(getattr(src, "missing_columns", ()))  # reported once as a file error, not once per row
        issues += [i for i in schema_issues(frame, TABLES[tid], src.file, src.sheet, src.headers)
                   if i.column not in {TABLES[tid].column(c).zh for c in absent}]
    schools_ok = "schools" in tables and _has_columns(sources["schools"], "school_code", "school_type")
    if schools_ok:
        issues += school_rules(tables["schools"], sources["schools"])
        issues += section_rules(tables["schools"], sources["schools"])
        issues += stated_sections_rule(tables["schools"], sources["schools"])
    for tid, frame in tables.items():
        if "school_code" in frame and _has_columns(sources[tid], "school_code"):
            issues += lost_zeros_rule(frame, sources[tid])
    if schools_ok and "teachers" in tables and _has_columns(sources["teachers"], "school_code", "section"):
        issues += teacher_rules(tables["teachers"], tables["schools"], sources["teachers"])
    if schools_ok and "classes" in tables and _has_columns(sources["classes"], "school_code", "section"):
        issues += class_rules(tables["classes"], tables["schools"], sources["classes"])
    if "planned_investment" in tables:
        issues += planned_investment_rules(tables["planned_investment"], sources["planned_investment"])
    return issues


def _has_columns(src, *column_ids: str) -> bool:
    """The file has these columns (a rule keyed on an absent column would only repeat the missing-column error)."""
    return not set(column_ids) & set(getattr(src, "missing_columns", ()))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, float) and pd.isna(value))


def stated_sections_rule(schools: pd.DataFrame, src) -> list[Issue]:
    """Every section a school's type teaches has its 在校生数 written, 0 included: an optional column (高中在校生数)
    that is absent, or blank for a 完全中学 / 十二年一贯制学校, is an error — a missing count would be taken as 0 and
    give the junior section the school's whole stock (the required columns are checked by the schema already)."""
    issues = []
    for section in ("primary", "junior", "senior"):
        col = src.table.column(f"students_{section}")
        if col.required:
            continue
        present = col.id in src.headers
        f, s, h = _where(src, col.id)
        for r in schools.itertuples(index=False):
            if section not in SECTIONS_BY_TYPE.get(r.school_type, ()):
                continue
            if present and not _blank(src.frame.at[r.source_row, col.id]):
                continue
            why = "本表没有该列" if not present else "该格为空"
            issues.append(Issue(f, s, r.source_row, h, "",
                                f"{r.school_name}为{SCHOOL_TYPE_ZH[r.school_type]}，须填写{col.zh}（{why}；"
                                f"没有{SECTION_ZH[section]}学生时填 0）", "error", "section_missing"))
    return issues


def planned_investment_rules(plan: pd.DataFrame, src) -> list[Issue]:
    """A planned teacher stock names its section (教师按学段配备); facility stocks are for the whole school."""
    f, s, h = _where(src, "section")
    return [Issue(f, s, r.source_row, h, "", f"小学/初中（{r.field} 为教师类项目，须填学段）", "error", "required")
            for r in plan.itertuples(index=False)
            if r.field in PLANNED_TEACHER_STOCKS and not isinstance(r.section, str)]


def _where(src, column_id: str) -> tuple[str, str, str]:
    return src.file, src.sheet, src.headers.get(column_id, src.table.column(column_id).zh)


def school_rules(schools: pd.DataFrame, src) -> list[Issue]:
    """Sections consistent with the school type; code length; outlier areas per student (warnings)."""
    issues = []
    all_short = _all_codes_short(schools)  # then lost_zeros_rule reports the file once, not every row
    for r in schools.itertuples(index=False):
        allowed = SECTIONS_BY_TYPE.get(r.school_type)
        if allowed is None:
            continue
        for section in ("primary", "junior", "senior"):
            n = getattr(r, f"students_{section}")
            if section not in allowed and pd.notna(n) and n > 0:
                f, s, h = _where(src, f"students_{section}")
                issues.append(Issue(f, s, r.source_row, h, int(n),
                                    f"0（办学类型为{SCHOOL_TYPE_ZH[r.school_type]}，无此学段）",
                                    "error", "section_type"))
        code = r.school_code
        if isinstance(code, str) and code.isdigit() and len(code) != SCHOOL_CODE_DIGITS and not all_short:
            f, s, h = _where(src, "school_code")
            issues.append(Issue(f, s, r.source_row, h, code, f"{SCHOOL_CODE_DIGITS}位学校标识码", "warning",
                                "code_length"))
    students = schools[["students_primary", "students_junior"]].apply(pd.to_numeric, errors="coerce").sum(axis=1)
    for field in OUTLIER_FIELDS:
        if field not in schools:
            continue
        per = pd.to_numeric(schools[field], errors="coerce") / students.where(students > 0)
        median = per.median()
        if not pd.notna(median) or median <= 0:
            continue
        for idx in per.index[per > OUTLIER_FACTOR * median]:
            f, s, h = _where(src, "equipment_value" if field == "equipment_value_yuan" else field)
            issues.append(Issue(f, s, int(schools.at[idx, "source_row"]), h, schools.at[idx, field],
                                f"生均值为全县中位数的{per[idx] / median:.0f}倍（>{OUTLIER_FACTOR}倍），请核实",
                                "warning", "outlier"))
    return issues


def _all_codes_short(frame: pd.DataFrame) -> bool:
    codes = frame["school_code"].dropna()
    return bool(len(codes)) and all(isinstance(c, str) and c.isdigit() and len(c) < SCHOOL_CODE_DIGITS
                                    for c in codes)


def lost_zeros_rule(frame: pd.DataFrame, src) -> list[Issue]:
    """Every school code of a file shorter than 10 digits: Excel stored the codes as numbers and dropped their
    leading zeros. Codes still match across files that all lost them, so this is an error, with the fix."""
    if not _all_codes_short(frame):
        return []
    first = frame.dropna(subset=["school_code"]).iloc[0]
    code = first["school_code"]
    f, s, h = _where(src, "school_code")
    return [Issue(f, s, int(first["source_row"]), h, code,
                  f"{SCHOOL_CODE_DIGITS}位学校标识码（文本）。本表所有学校标识码都少于{SCHOOL_CODE_DIGITS}位，"
                  f"多半是 Excel 把代码存成了数字、去掉了开头的 0：请把该列设为“文本”格式后重新填入完整代码"
                  f"（如 {code.zfill(SCHOOL_CODE_DIGITS)}），或按原始名册补齐", "error", "lost_zeros")]


def section_rules(schools: pd.DataFrame, src) -> list[Issue]:
    """Each compulsory section (学段) of the county: a section with no pupils at all cannot be evaluated (error);
    a section with a single evaluated school has a coefficient of variation of 0 by construction (warning)."""
    issues = []
    evaluated = ~schools["school_type"].isin(NOT_EVALUATED_TYPES)
    for section in ("primary", "junior"):
        n = pd.to_numeric(schools[f"students_{section}"], errors="coerce")
        f, s, h = _where(src, f"students_{section}")
        zh = SECTION_ZH[section]
        teaches = schools["school_type"].map(lambda t, sec=section: sec in SECTIONS_BY_TYPE.get(t, ()))
        if not (evaluated & teaches).any():  # e.g. a test county of primary schools only: nothing to judge
            continue
        if n.notna().any() and n.fillna(0).sum() == 0:
            issues.append(Issue(f, s, None, h, 0, f"全县{zh}在校生合计大于0（现为0：{zh}学段无法评估；"
                                                  "请核对是否漏填或填错列）", "error", "empty_section"))
            continue
        with_pupils = schools[evaluated & (n > 0)]
        if len(with_pupils) == 1:
            r = with_pupils.iloc[0]
            issues.append(Issue(f, s, int(r["source_row"]), h, int(n[with_pupils.index[0]]),
                                f"至少2所参评学校：全县{zh}只有1所参评学校（{r['school_name']}），"
                                "校际差异系数按定义为0，不能说明均衡", "warning", "one_school_section"))
    return issues


def teacher_rules(teachers: pd.DataFrame, schools: pd.DataFrame, src) -> list[Issue]:
    """Teacher rows match schools and their sections; sub-counts never exceed 专任教师数; every taught section has a row."""
    issues = []
    types = dict(zip(schools["school_code"], schools["school_type"], strict=False))
    for r in teachers.itertuples(index=False):
        if r.school_code not in types:
            f, s, h = _where(src, "school_code")
            issues.append(Issue(f, s, r.source_row, h, r.school_code, "学校基本情况表中存在的学校标识码",
                                "error", "unknown_school"))
            continue
        allowed = SECTIONS_BY_TYPE.get(types[r.school_code])
        if r.section and allowed is not None and r.section not in allowed:  # an unknown type is reported already
            f, s, h = _where(src, "section")
            allowed_zh = "/".join(SECTION_ZH[a] for a in allowed)
            issues.append(Issue(f, s, r.source_row, h, SECTION_ZH.get(r.section, r.section),
                                f"与办学类型一致的学段（{allowed_zh}）",
                                "error", "section_type"))
        for field in TEACHER_SUBSETS:
            v, total = getattr(r, field), r.teachers
            if pd.notna(v) and pd.notna(total) and v > total:
                f, s, h = _where(src, field)
                issues.append(Issue(f, s, r.source_row, h, v, f"不大于专任教师数 {total:g}", "error", "subset"))
        if pd.notna(r.rotated_key_teachers) and pd.notna(r.rotated_teachers) and r.rotated_key_teachers > r.rotated_teachers:
            f, s, h = _where(src, "rotated_key_teachers")
            issues.append(Issue(f, s, r.source_row, h, r.rotated_key_teachers,
                                f"不大于本年交流轮岗教师数 {r.rotated_teachers:g}", "error", "subset"))
    have = set(zip(teachers["school_code"], teachers["section"], strict=False))
    for r in schools.itertuples(index=False):
        if r.school_type in NOT_EVALUATED_TYPES:
            continue
        for section in ("primary", "junior"):
            n = getattr(r, f"students_{section}")
            if pd.notna(n) and n > 0 and (r.school_code, section) not in have:
                issues.append(Issue(src.file, src.sheet, None, "学校标识码/学段",
                                    f"{r.school_code}/{SECTION_ZH[section]}",
                                    f"{r.school_name} 有{SECTION_ZH[section]}在校生，应有该学段的专任教师行", "error",
                                    "missing_teacher_row"))
    return issues


def class_rules(classes: pd.DataFrame, schools: pd.DataFrame, src) -> list[Issue]:
    """Class rows belong to known schools; totals that disagree with the school sheet are warnings."""
    issues = []
    known = set(schools["school_code"])
    for r in classes.itertuples(index=False):
        if r.school_code not in known:
            f, s, h = _where(src, "school_code")
            issues.append(Issue(f, s, r.source_row, h, r.school_code, "学校基本情况表中存在的学校标识码",
                                "error", "unknown_school"))
    sums = classes.groupby(["school_code", "section"])["students"].agg(["sum", "size"])
    for r in schools.itertuples(index=False):
        for section in ("primary", "junior"):
            if (r.school_code, section) not in sums.index:
                continue
            total, count = sums.loc[(r.school_code, section)]
            n, c = getattr(r, f"students_{section}"), getattr(r, f"classes_{section}")
            if pd.notna(n) and total != n:
                issues.append(Issue(src.file, src.sheet, None, "学生数", int(total),
                                    f"{r.school_name}（{r.school_code}）{SECTION_ZH[section]}班级学生数合计应等于在校生数 {n:g}",
                                    "warning", "class_total"))
            if pd.notna(c) and count != c:
                issues.append(Issue(src.file, src.sheet, None, "班号", int(count),
                                    f"{r.school_name}（{r.school_code}）{SECTION_ZH[section]}班级行数应等于班数 {c:g}",
                                    "warning", "class_count"))
    return issues
