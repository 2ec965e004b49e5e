"""The data catalog (数据目录): every dataset a step reads or writes, by name.

This is the only place in the package and the notebooks where a file name is written. A notebook says
``ctx.load("school_indicators")`` / ``ctx.save("cv", cv)``; the runner builds its graph of steps from
:data:`STEPS` (which datasets each step reads, from this year or from earlier years, and which it writes).

Location of a dataset of one county-year:
- ``processed``: ``data/processed/<county>/<year>/<file>`` (CSV in UTF-8 with BOM, JSON sorted);
- ``reports``: ``reports/<county>/<year>/<file>`` (Excel, HTML, executed notebooks, the run manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.data import files
from analysis.data.columns import TABLES


@dataclass(frozen=True)
class Dataset:
    """One named dataset: its file, where it lives, which step writes it and what it holds (schema in words)."""

    name: str
    file: str
    step: str
    title_zh: str
    where: str = "processed"
    optional: bool = False

    @property
    def kind(self) -> str:
        return self.file.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Step:
    """A numbered notebook: the datasets it reads this year (``inputs``), from every earlier year as well
    (``history``), and writes (``outputs``). ``raw`` marks the step that reads the county's raw folder;
    ``raw_history`` lists input tables of ``history`` that an earlier year not processed gives from its raw year
    folder (``ctx.load_history(name, raw=True)``), so a county run for one year still finds them."""

    name: str
    notebook: str
    title_zh: str
    inputs: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    raw: bool = False
    raw_history: tuple[str, ...] = ()
    part: str | None = None  # compulsory steps need the compulsory tables; None = every county runs it


CLEAN = "01_clean"
INDICATORS = "02_indicators"
VARIATION = "03_variation"
GUARANTEE = "04_guarantee_quality"
PROJECTION = "05_projection"
PRESCHOOL = "06_preschool"
PRESCHOOL_PROJECTION = "07_preschool_projection"
PLAN = "08_plan"
REPORT = "09_report"

# Cleaned input tables: one CSV per table of the input contract (analysis.data.columns.TABLES).
# A preschool table is optional here even when its part requires it: a county may hand in the compulsory part only.
_CLEANED = [Dataset(t.id, f"{t.id}.csv", CLEAN, f"清洗后的{t.zh}", optional=not t.required or t.part != "compulsory")
            for t in TABLES.values()]

DATASETS: dict[str, Dataset] = {d.name: d for d in [
    *_CLEANED,
    Dataset("validation", "validation.csv", CLEAN, "数据校验问题（文件、工作表、行、列、值、期望）"),
    Dataset("inputs", "inputs.csv", CLEAN, "读取的原始文件清单与 SHA-256"),
    Dataset("dropped_rows", "dropped_rows.csv", CLEAN, "读取时忽略的合计、小计行"),
    Dataset("school_indicators", "school_indicators.csv", INDICATORS, "逐校分学段七项指标、达标率、差距与判定"),
    Dataset("excluded_schools", "excluded_schools.csv", INDICATORS, "不参评学校及原因"),
    Dataset("compliance_summary", "compliance_summary.csv", INDICATORS, "各指标达标学校比例"),
    Dataset("cv", "cv.csv", VARIATION, "分学段各指标校际差异系数"),
    Dataset("cv_contributions", "cv_contributions.csv", VARIATION, "各指标对差异贡献最大的学校"),
    Dataset("items", "items.csv", GUARANTEE, "全部评估事项（政府保障、教育质量、社会认可、否决、资源配置）"),
    Dataset("verdict", "verdict.json", GUARANTEE, "县域评估结论"),
    Dataset("townships", "townships.csv", GUARANTEE, "分乡镇（学区）校校达标、差距与社会认可度"),
    Dataset("projection", "projection.csv", PROJECTION, "历年值与各时间节点预测"),
    Dataset("milestones", "milestones.csv", PROJECTION, "各时间节点达标状态"),
    Dataset("targets_comparison", "targets_comparison.csv", PROJECTION, "县定年度目标的完成与预测"),
    Dataset("school_changes", "school_changes.csv", PROJECTION, "学校跨年变化（新开办、停办、并入）"),
    Dataset("enrollment_projection", "enrollment_projection.csv", PROJECTION, "逐校在校生预测"),
    Dataset("falling_out", "falling_out.csv", PROJECTION, "因在校生变化将失去达标的学校"),
    Dataset("planning", "planning.csv", PROJECTION, "整改清单（差距与责任单位）"),
    Dataset("preschool_items", "preschool_items.csv", PRESCHOOL, "学前教育普及普惠评估事项 P1–P37"),
    Dataset("preschool_verdict", "preschool_verdict.json", PRESCHOOL, "学前教育普及普惠评估结论"),
    Dataset("preschool_measures", "preschool_measures.csv", PRESCHOOL, "学前教育县域计数（在园幼儿、教师、班级、人口）"),
    Dataset("kg_class_caps", "kg_class_caps.csv", PRESCHOOL, "幼儿园逐班班额与上限"),
    Dataset("preschool_recognition", "preschool_recognition.csv", PRESCHOOL, "学前教育社会认可度（分调查对象，Wilson 区间）"),
    Dataset("preschool_projection", "preschool_projection.csv", PRESCHOOL_PROJECTION,
            "学前教育 P1–P3、P28、P31 历年值与预测"),
    Dataset("milestone_schedule", "milestone_schedule.csv", PROJECTION, "文件规定的全部时间节点（已过的按实际判定）"),
    Dataset("task_list", "task_list.csv", PROJECTION, "分部门任务清单（未达标事项、学校整改及时限）"),
    Dataset("target_ledger", "target_ledger.csv", PROJECTION, "县定年度目标逐条完成情况（实际与预测）"),
    Dataset("large_class_ledger", "large_class_ledger.csv", PROJECTION, "大班额台账（逐年超额班级及次年消除情况）"),
    Dataset("plan", "plan.csv", PLAN, "整改方案（年份、学校、学段、措施、数量、单价、费用、责任单位、时限）"),
    Dataset("plan_check", "plan_check.csv", PLAN, "方案复核：整改前后每条规则与差异系数（同一评估程序重算）"),
    Dataset("rotation", "rotation.csv", PLAN, "交流轮岗安排（交出学校、接收学校、类别、人数）"),
    Dataset("plan_whatif", "plan_whatif.csv", PLAN, "采取与不采取整改方案时各时间节点的达标情况"),
    Dataset("plan_costs", "plan_costs.csv", PLAN, "整改措施单价表（示例假设或县定单价）"),
    Dataset("plan_status", "plan_status.json", PLAN, "整改方案类型、约束说明与经费合计"),
    Dataset("results", "results.xlsx", REPORT, "Excel 结果汇总", where="reports"),
]}

# Files of the run itself (not produced by a notebook cell): the runner and the renderer write them.
MANIFEST_FILE = "run_manifest.json"
SUMMARY_FILE = "summary.html"
AUDIT_FILE = "audit.html"
INDEX_FILE = "index.html"
COUNTY_META_FILE = "county.yaml"
STATE_FILE = "step_state.json"

_TABLE_IDS = tuple(TABLES)

STEPS: dict[str, Step] = {s.name: s for s in [
    Step(CLEAN, f"{CLEAN}.ipynb", "原始数据清洗与校验", raw=True,
         outputs=(*_TABLE_IDS, "validation", "inputs", "dropped_rows")),
    Step(INDICATORS, f"{INDICATORS}.ipynb", "资源配置七项指标与校校达标", inputs=("schools", "teachers"),
         part="compulsory",
         outputs=("school_indicators", "excluded_schools", "compliance_summary")),
    Step(VARIATION, f"{VARIATION}.ipynb", "校际差异系数", part="compulsory",
         # the cleaned tables and the list of files read: the school pages show each raw row (逐校计算过程)
         inputs=("school_indicators", "schools", "teachers", "inputs"),
         outputs=("cv", "cv_contributions")),
    Step(GUARANTEE, f"{GUARANTEE}.ipynb", "政府保障、教育质量、社会认可与结论",
         inputs=("schools", "teachers", "classes", "county_items", "survey", "school_indicators", "cv"),
         history=("monitoring", "monitoring_results", "county_items"), outputs=("items", "verdict", "townships"),
         raw_history=("monitoring", "monitoring_results"), part="compulsory"),
    Step(PROJECTION, f"{PROJECTION}.ipynb", "趋势分析与达标预测", part="compulsory",
         inputs=("planned_investment", "intake"),
         history=("schools", "teachers", "classes", "school_indicators", "items", "targets"),
         outputs=("projection", "milestones", "targets_comparison", "school_changes", "enrollment_projection",
                  "falling_out", "planning", "milestone_schedule", "task_list", "target_ledger",
                  "large_class_ledger")),
    Step(PRESCHOOL, f"{PRESCHOOL}.ipynb", "学前教育普及普惠评估",
         inputs=("kindergartens", "kg_classes", "kg_staff", "preschool_county_items", "preschool_spending",
                 "preschool_incidents", "preschool_survey"),
         outputs=("preschool_items", "preschool_verdict", "preschool_measures", "kg_class_caps",
                  "preschool_recognition")),
    Step(PRESCHOOL_PROJECTION, f"{PRESCHOOL_PROJECTION}.ipynb", "学前教育趋势与预测",
         inputs=("preschool_population",), history=("preschool_measures",), outputs=("preschool_projection",)),
    Step(PLAN, f"{PLAN}.ipynb", "达标整改方案（一校一案）", part="compulsory",
         inputs=("schools", "teachers", "classes", "enrollment_projection", "planned_investment", "unit_costs",
                 "county_plan", "plan_budget"),
         outputs=("plan", "plan_check", "rotation", "plan_whatif", "plan_costs", "plan_status")),
    Step(REPORT, f"{REPORT}.ipynb", "评估结果摘要",
         inputs=("school_indicators", "excluded_schools", "cv", "cv_contributions", "items", "verdict",
                 "projection", "planning", "validation", "milestone_schedule", "task_list", "townships",
                 "target_ledger", "large_class_ledger", "preschool_items", "preschool_verdict",
                 "preschool_projection", "plan", "plan_check", "plan_whatif", "plan_status"),
         outputs=("results",)),
]}


class UnknownDataset(KeyError):
    """A name that is not in the catalog."""

    def __str__(self) -> str:
        return f"数据目录中没有名为 {self.args[0]!r} 的数据集；可用：{'、'.join(DATASETS)}"


def dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownDataset(name) from None


def producer(name: str) -> str:
    """The step that writes dataset ``name``."""
    return dataset(name).step


def step_of_file(file: str) -> str | None:
    """The step that writes a file (by file name), for the audit's links."""
    for d in DATASETS.values():
        if d.file == file:
            return d.step
    return None


def step_names() -> list[str]:
    return list(STEPS)


def step_reads(step: str) -> set[str]:
    s = STEPS[step]
    return set(s.inputs) | set(s.history)


def check_catalog() -> None:
    """Every dataset a step reads is written by an earlier step, and each dataset by exactly one step."""
    order = list(STEPS)
    for s in STEPS.values():
        for name in step_reads(s.name):
            src = producer(name)
            if order.index(src) > order.index(s.name) or (src == s.name and name not in s.history):
                raise ValueError(f"step {s.name} reads {name!r}, written by the later step {src}")
        for name in s.raw_history:
            if name not in s.history or name not in TABLES:
                raise ValueError(f"step {s.name}: raw_history {name!r} must be an input table it reads as history")
        for name in s.outputs:
            if producer(name) != s.name:
                raise ValueError(f"step {s.name} declares {name!r}, which the catalog gives to {producer(name)}")


def read(folder: Path, name: str) -> Any:
    """Dataset ``name`` from ``folder`` (a processed or reports folder of one county-year).

    Raises ``FileNotFoundError`` naming the dataset and the step that writes it when the file is absent."""
    ds = dataset(name)
    path = Path(folder) / ds.file
    if not path.exists():
        step = STEPS[ds.step]
        raise FileNotFoundError(f"缺少{ds.title_zh}（{name}），由步骤 {step.name}（{step.title_zh}）生成；请先运行该步骤")
    if ds.kind == "csv":
        return files.read_csv(path)
    if ds.kind == "json":
        return files.read_json(path)
    raise ValueError(f"{name} 是 {ds.kind} 文件，不能作为表读取")


def write(folder: Path, name: str, data: Any) -> Path:
    """Write dataset ``name`` into ``folder`` with the byte-reproducible writer of its kind."""
    ds = dataset(name)
    path = Path(folder) / ds.file
    if ds.kind == "csv":
        return files.write_csv(data, path)
    if ds.kind == "json":
        return files.write_json(data, path)
    if ds.kind == "xlsx":
        return files.save_workbook(data, path)
    raise ValueError(f"{name}：不支持的文件类型 {ds.kind}")


def loader(folder: Path):
    """``load(name)`` over one folder, ``None`` for an absent optional dataset (for tests and scripts)."""
    def load(name: str) -> Any:
        if dataset(name).optional and not (Path(folder) / dataset(name).file).exists():
            return None
        return read(folder, name)

    return load


def part_steps(parts: list[str]) -> list[str]:
    """The steps to run for a county-year supplying ``parts`` (``analysis.data.reading.parts_in_folder``): the
    steps of a part it does not supply (``Step.part``) are left out; the others read an absent part as not
    provided."""
    return [s.name for s in STEPS.values() if s.part is None or s.part in parts]
