"""Trends and projections to the milestone years (趋势分析与达标预测).

A county must know before the inspectors come whether it will pass. This module turns the processed outputs of
every past year into a panel (面板数据) and projects enrollment, resource stocks, indicators, CVs, compliant-school
shares and numeric county items to the milestone years of the profile (``milestones``, e.g. 2026 市级/省级评估,
2027 国家认定, 2028 所有学校达标; 000_7663589297cde400.txt, 003_1c8462c5537f038e.txt).

Method (每一步都可由审核人员复算)
------------------------------------
* **Schools across years (学校跨年匹配)** by ``school_code``. A school missing in later years is *closed* (撤并/停办);
  one that appears later is *opened* (新开办). A closed school whose pupils reappear in one school of the same
  township the next year (that school gains at least ``merge_min_share`` of the closed school's students) is listed
  as *merged into* it (并入); the merge year is a structural break for the receiving school and its change that
  year is left out of its trends (a merge is not a trend).
* **Enrollment (在校生预测)**, per school and section, from ``classes.csv`` (students by grade):
  cohort progression (年级递进) ``grade g+1 in year t+1 = grade g in year t × rate_g``. The school's rate is
  pooled over the observed year pairs and shrunk towards the county rate where the school is small:
  ``rate = (Σ next-grade pupils + k·county_rate) / (Σ pupils + k)`` with ``k = shrinkage_students``. Entrants to
  the first grade (grade 1, 7, 10) = county entrants × the school's mean share of them; county entrants follow
  their mean annual growth rate (on ``log(1 + n)``). A school's own intake trend is deliberately not used: a few
  years of small, noisy counts extrapolate to zero or explode within five years. The price: a school whose share
  is steadily rising or falling is held at its mean share (the band, which draws single years' shares, shows part
  of that). An intake file replaces the entrants it gives. The section total is scaled to the school table: ``students_t = students_Y × Σgrades_t /
  Σgrades_Y``. Without grade data for a school-section: its student count follows its own growth rate.
  Projected headcounts are whole pupils (rounded) before indicators are computed.
* **Resource stocks (资源存量)**: every facility stock of the school table (areas, equipment value in yuan,
  multimedia rooms) and every teacher count of the teacher table follow their own trend = the mean annual
  change over the last ``trend_window_years`` years, anchored on the current year's value, never below 0. Where a
  planned-investment file gives amounts for a school and field, the plan replaces the trend for that field.
* **Guarantee rules per school (G3, G4, G5)**: the compliant-school shares ``G3_share`` (music/art rooms),
  ``G4_share`` (school size) and ``G5_share`` (class size, past years only) use the step-04 checks of
  :mod:`analysis.guarantee`; in projected years classes follow the pupils at the school's current mean class size
  and room counts and areas follow their trend.
* **Indicators (指标)**: for each future year the projected school table and teacher table go through exactly the
  same code as the current year (``analysis.indicators.evaluate``: exclusions, 1:1.1 splits, value = stock × per /
  students, 6-of-7 rule) and ``analysis.variation.cv_table``. CVs and compliant shares are therefore computed
  from projected school values, never extrapolated themselves.
* **Uncertainty (不确定性区间)**: a bootstrap over years. Each replicate draws, for every future year, one observed
  year pair (with replacement) and applies *that year's* changes to every school at once (stocks, intake, grade
  transition rates), so county-wide shocks move all schools together. ``replicates`` replicates with a fixed
  ``seed`` (deterministic); ``low``/``high`` are the ``band`` percentiles of the replicates. The central value is
  the trend itself (no resampling).
* **Status (达标预测状态)** of a projected value against its threshold: ``on_track`` (预计达标) when the whole band
  is on the passing side, ``off_track`` (预计不达标) when the whole band fails, else ``at_risk`` (存在风险).
  ``reach_year``: first year from which the central projection passes through the end of the horizon.

All method settings are in :data:`METHOD` (method choices of this project, not policy; no seed sets them) and a
profile may override any of them under a ``projection:`` key. Fewer than ``min_history_years`` observed years:
observed rows only, no projection (a trend from one or two changes would be false precision).

Optional raw inputs (可选输入, in ``data/raw/<county>/<year>/`` like every other sheet: .xlsx/.xls/.csv, Chinese
headers or English ids; read, cleaned and validated in step 01 by ``analysis.cleaning``, tables
``planned_investment`` and ``intake`` of ``analysis.columns``; ``analysis templates`` writes empty ones)
-------------------------------------------------------------------------------------------------------------------
``规划投入`` / ``planned_investment``: ``school_code`` (学校标识码), ``section`` (学段, 小学/初中; required for
teacher fields, ignored for facility fields, which are school-wide and split by the usual student weights),
``year`` (年份), ``field`` (项目: a stock id such as ``teaching_rooms_m2``, ``sports_area_m2``,
``equipment_value_yuan`` (元, not 万元), ``multimedia_classrooms``, ``land_area_m2``, ``teachers_above_degree``,
``key_teachers``, ``pe_teachers``, ``music_teachers``, ``art_teachers``, ``teachers``, or its Chinese header),
``amount`` (数量: added in that year; negative = removed).

``招生预测`` / ``intake`` (e.g. from births 出生人口): ``school_code``, ``section``, ``year``, ``students`` (新生数:
entrants to the section's first grade that year). Replaces the intake trend for the rows given.

Output ``projection.csv`` (contract): ``level`` (county|school), ``school_code`` (empty for county rows),
``section`` (primary|junior; empty for county-wide items), ``indicator``, ``year``, ``value``, ``low``, ``high``,
``threshold``, ``status`` (``observed`` for past years; on_track/at_risk/off_track for projected rows with a
threshold; empty otherwise). Indicator names:

* school rows: ``R1``…``R7`` (and extra indicators; threshold = the school's standard), ``school_pass`` (1 = meets
  the 6-of-7 rule; threshold 1), ``students``;
* county rows: ``R1``… (enrollment-weighted mean; threshold = standard, informational, no status), ``R1_cv``…
  (CV; threshold = limit), ``R1_share``… (share of school-sections meeting the standard), ``school_pass_share``
  (share meeting the 6-of-7 rule; threshold 1 = 校校达标 every school), ``students``, ``n_schools``;
  section empty: ``G3_share``, ``G4_share``, ``G5_share`` (threshold 1) and county items by ``item_id``
  (numeric values only; threshold and comparator from ``items.csv``).
"""

from __future__ import annotations

from analysis.evaluate.projection.enrollment import (  # noqa: F401 (the public names of the package)
    Paths,
    grade_counts,
    intake_paths,
    project_enrollment,
    transition_rates,
)
from analysis.evaluate.projection.history import (  # noqa: F401 (the public names of the package)
    SCHOOL_RULES,
    History,
    county_measures,
    intake_forecast,
    item_panel,
    observed_rows,
    planned_fields,
    planned_investment,
    read_history,
    rule_shares,
    school_changes,
    school_panel,
    school_rows,
    school_rule_flags,
    structural_breaks,
)
from analysis.evaluate.projection.method import (  # noqa: F401 (the public names of the package)
    CHANGE_ZH,
    METHOD,
    PROJECTION_COLUMNS,
    SECTIONS,
    TEACHER_FIELDS,
    method_settings,
    method_table,
)
from analysis.evaluate.projection.milestones import (  # noqa: F401 (the public names of the package)
    falling_out,
    milestone_status,
    milestone_table,
    reach_year,
)
from analysis.evaluate.projection.scenario import (  # noqa: F401 (the public names of the package)
    Projection,
    band_status,
    future_milestones,
    project,
    scenario_inputs,
)
from analysis.evaluate.projection.stocks import (  # noqa: F401 (the public names of the package)
    project_stocks,
)
from analysis.evaluate.projection.tables import (  # noqa: F401 (the public names of the package)
    enrollment_table,
    indicator_labels,
    item_labels,
    school_status_table,
)
from analysis.evaluate.projection.targets import (  # noqa: F401 (the public names of the package)
    SCOPES,
    canonical_scope,
    compliant_share,
    scope_mask,
    target_comparison,
    target_indicators,
    target_series,
)
from analysis.evaluate.projection.trend import (  # noqa: F401 (the public names of the package)
    draw_pairs,
    trend_paths,
)
