"""Raw-data contract (原始数据表结构): every input sheet, its Chinese headers, English ids, types and ranges.

One definition serves the reader (header alias map), the cleaner (types, units), the validation schemas,
the empty Excel templates and the Chinese headers of the outputs. Described for users in docs/输入数据说明.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.standards.costs import load_costs
from analysis.standards.sources import citation

# 办学类型 → id. Which sections each type teaches is in SECTIONS_BY_TYPE.
SCHOOL_TYPES = {
    "小学": "primary_school",
    "初级中学": "junior_school",
    "初中": "junior_school",
    "九年一贯制学校": "nine_year_school",
    "完全中学": "complete_secondary_school",
    "高完中": "complete_secondary_school",
    "十二年一贯制学校": "twelve_year_school",
    "教学点": "teaching_point",
    "特殊教育学校": "special_ed_school",
    "职业学校": "vocational_school",
    "职业中学": "vocational_school",
}
SCHOOL_TYPE_ZH = {
    "primary_school": "小学",
    "junior_school": "初级中学",
    "nine_year_school": "九年一贯制学校",
    "complete_secondary_school": "完全中学",
    "twelve_year_school": "十二年一贯制学校",
    "teaching_point": "教学点",
    "special_ed_school": "特殊教育学校",
    "vocational_school": "职业学校",
}
# Sections (学段) a school type may have students in; a student count outside these is a validation error.
SECTIONS_BY_TYPE = {
    "primary_school": ("primary",),
    "teaching_point": ("primary",),
    "junior_school": ("junior",),
    "nine_year_school": ("primary", "junior"),
    "complete_secondary_school": ("junior", "senior"),
    "twelve_year_school": ("primary", "junior", "senior"),
    "special_ed_school": ("primary", "junior"),
    "vocational_school": ("senior",),
}
URBAN_RURAL = {"城区": "urban", "镇区": "town", "乡村": "rural", "镇街": "town"}
SECTION_CODES = {"小学": "primary", "初中": "junior", "高中": "senior"}
OWNERSHIP = {"公办": "public", "民办": "private"}
YES_NO = {"是": True, "否": False, "有": True, "无": False, "Y": True, "N": False, "1": True, "0": False}


@dataclass(frozen=True)
class Column:
    """One column of an input sheet: English id, Chinese header, type and allowed range."""

    id: str
    zh: str
    kind: str = "float"  # str | code | int | float | enum | bool
    required: bool = True
    min: float | None = 0
    max: float | None = None
    unit: str = ""
    aliases: tuple[str, ...] = ()
    values: dict | None = None  # enum: Chinese label → id
    note: str = ""


@dataclass(frozen=True)
class Table:
    """One input sheet (one file per county and year)."""

    id: str
    zh: str
    columns: tuple[Column, ...]
    required: bool = True
    key: tuple[str, ...] = ()
    note: str = ""
    file_stems: tuple[str, ...] = field(default=())
    # Template-only columns (e.g. 取值要求 of the county items): recognised by the reader and ignored, never data.
    guide: tuple[Column, ...] = field(default=())
    part: str = "compulsory"  # which evaluation the table feeds: compulsory (义务教育) or preschool (学前教育)
    questions: bool = False  # survey layout: every column headed 题1/Q1 … is a question, kept in long form
    rows: tuple[tuple, ...] = ()  # example rows the template is pre-filled with (成本单价: the sample prices)

    def column(self, col_id: str) -> Column:
        return next(c for c in self.columns if c.id == col_id)

    @property
    def title(self) -> str:
        """The table's name in messages and evidence (e.g. 学校基本情况表): never its file name."""
        return f"{self.zh}表"

    @property
    def stems(self) -> tuple[str, ...]:
        return (self.zh, self.id, *self.file_stems)


C = Column

SCHOOLS = Table(
    "schools",
    "学校基本情况",
    (
        C("school_code", "学校标识码", "code", aliases=("学校代码", "学校识别码")),
        C("school_name", "学校名称", "str"),
        C("school_type", "办学类型", "enum", values=SCHOOL_TYPES),
        C("ownership", "办学性质", "enum", required=False, values=OWNERSHIP, note="公办/民办；缺省为公办"),
        C("urban_rural", "城乡分类", "enum", values=URBAN_RURAL),
        C("township", "所在乡镇", "str", required=False),
        C("boarding", "是否寄宿制学校", "bool", required=False, note="是/否；就近入学(G13)不含寄宿制学校"),
        C("founded_year", "建校年份", "int", required=False, min=1900, max=2100),
        C("students_primary", "小学在校生数", "int", unit="人"),
        C("students_junior", "初中在校生数", "int", unit="人"),
        C("students_senior", "高中在校生数", "int", required=False, unit="人",
          note="完全中学、十二年一贯制学校必填（没有高中学生时填 0）"),
        C("classes_primary", "小学班数", "int", unit="个"),
        C("classes_junior", "初中班数", "int", unit="个"),
        C("classes_senior", "高中班数", "int", required=False, unit="个"),
        C("migrant_students", "随迁子女在校生数", "int", required=False, unit="人"),
        C("disabled_students", "残疾学生随班就读数", "int", required=False, unit="人"),
        C("land_area_m2", "占地面积", unit="㎡"),
        C("teaching_rooms_m2", "教学及辅助用房面积", unit="㎡"),
        C("indoor_sports_rooms_m2", "室内体育用房面积", required=False, unit="㎡"),
        C("sports_area_m2", "体育运动场（馆）面积", unit="㎡", aliases=("体育运动场馆面积", "体育活动场地面积")),
        C("equipment_value", "教学仪器设备资产值", unit="万元", aliases=("教学仪器设备值",),
          note="表头注明（万元）或（元）；缺省按万元，清洗后统一为元"),
        C("multimedia_classrooms", "网络多媒体教室数", "int", unit="间"),
        C("music_rooms", "音乐专用教室数", "int", unit="间"),
        C("music_rooms_m2", "音乐专用教室面积", unit="㎡", note="每间中最小一间的面积；表头写“合计”则为合计面积"),
        C("art_rooms", "美术专用教室数", "int", unit="间"),
        C("art_rooms_m2", "美术专用教室面积", unit="㎡", note="每间中最小一间的面积；表头写“合计”则为合计面积"),
        C("public_funds_per_student", "生均公用经费", required=False, unit="元"),
        C("public_funds_total", "公用经费总额", required=False, unit="元"),
        C("public_funds_budget", "年度公用经费预算总额", required=False, unit="元"),
        C("training_budget", "教师培训经费", required=False, unit="元"),
        C("has_charter", "是否制定章程", "bool", required=False),
        C("digitized", "管理与教学信息化", "bool", required=False),
        C("moral_rating", "德育与校园文化评价", "str", required=False, note="优秀/良好/合格/不合格"),
    ),
    key=("school_code",),
    file_stems=("学校", "schools"),
)

TEACHERS = Table(
    "teachers",
    "专任教师情况",
    (
        C("school_code", "学校标识码", "code", aliases=("学校代码",)),
        C("section", "学段", "enum", values=SECTION_CODES),
        C("teachers", "专任教师数", "int", unit="人"),
        C("teachers_above_degree", "高于规定学历教师数", "int", unit="人", note="小学：专科及以上；初中：本科及以上"),
        C("key_teachers", "县级及以上骨干教师数", "int", unit="人", aliases=("县级以上骨干教师数", "区级及以上骨干教师数", "区级以上骨干教师数")),
        C("pe_teachers", "体育专任教师数", "int", unit="人"),
        C("music_teachers", "音乐专任教师数", "int", unit="人"),
        C("art_teachers", "美术专任教师数", "int", unit="人"),
        C("certified_teachers", "持有教师资格证人数", "int", required=False, unit="人"),
        C("trained_360h", "五年周期内完成360学时培训人数", "int", required=False, unit="人"),
        C("rotated_teachers", "本年交流轮岗教师数", "int", required=False, unit="人"),
        C("rotated_key_teachers", "其中骨干教师数", "int", required=False, unit="人"),
        C("rotation_eligible", "符合交流条件教师数", "int", required=False, unit="人"),
    ),
    key=("school_code", "section"),
    file_stems=("教师", "teachers"),
)

CLASSES = Table(
    "classes",
    "班级学生数",
    (
        C("school_code", "学校标识码", "code", aliases=("学校代码",)),
        C("section", "学段", "enum", values=SECTION_CODES),
        C("grade", "年级", "int", min=1, max=12),
        C("class_no", "班号", "int", min=1),
        C("students", "学生数", "int", unit="人", aliases=("班级学生数", "在校生数")),
    ),
    required=False,
    key=("school_code", "section", "grade", "class_no"),
    file_stems=("班级", "classes"),
)

COUNTY_ITEMS = Table(
    "county_items",
    "县级指标",
    (
        C("item_id", "指标编号", "str"),
        C("item_name", "指标名称", "str", required=False),
        C("value", "数值", "str", required=False, note="数字、比例(0–1 或 带%)或 是/否"),
        C("unit", "单位", "str", required=False),
        C("evidence", "佐证材料", "str", required=False),
    ),
    required=False,
    key=("item_id",),
    note="缺少本表时，政府保障、教育质量等县级指标显示为“缺少数据”",
    file_stems=("县级", "county_items"),
    guide=(C("allowed", "取值要求", "str", required=False, note="模板预填，说明“数值”可填什么"),),
)

MONITORING = Table(
    "monitoring",
    "质量监测",
    (
        C("school_code", "学校标识码", "code", aliases=("学校代码",)),
        C("grade", "年级", "int", min=1, max=12),
        C("subject", "学科", "str"),
        C("score", "成绩", required=False, min=0),
        C("mean", "平均分", required=False, min=0),
        C("variance", "方差", required=False, min=0),
        C("n", "人数", "int", required=False, min=1),
    ),
    required=False,
    note="一行一名学生（成绩），或一行一校一科（平均分、方差、人数）",
    file_stems=("质量监测", "monitoring"),
)

MONITORING_RESULTS = Table(
    "monitoring_results",
    "质量监测结果",
    (
        C("source", "监测类别", "str", note="国家/市级/省级"),
        C("year", "监测年份", "int", min=2000, max=2100),
        C("grade", "年级", "int", min=1, max=12),
        C("subject", "学科", "str"),
        C("achievement_level", "学业水平等级", "int", min=1, max=4),
        C("between_school_diff_rate", "校际差异率", min=0, max=1),
    ),
    required=False,
    note="监测中心发布的结果；有则优先于由成绩估算的校际差异率",
    file_stems=("监测结果", "monitoring_results"),
)

SURVEY = Table(
    "survey",
    "社会认可度调查",
    (
        C("respondent_id", "问卷编号", "str"),
        C("respondent_type", "调查对象", "str", note="家长/教师/学生/校长/人大代表/政协委员/社区群众"),
        C("school_code", "学校标识码", "code", required=False),
        C("township", "乡镇", "str", required=False),
    ),
    required=False,
    note="其余每列为一道题（表头以“题”或“Q”开头），答案为 非常满意/满意/基本满意/不满意/非常不满意 或 1–5 分",
    file_stems=("社会认可度", "survey"),
    questions=True,
)

TARGETS = Table(
    "targets",
    "年度目标",
    (
        C("indicator", "指标", "str", note="R1–R7、R4+R5、G3、G4、G5、新建小学、新建初中"),
        C("scope", "范围", "str", required=False, note="全部/乡镇法人学校/城区学校/50人以上教学点"),
        C("year", "年份", "int", min=2000, max=2100),
        C("target_share", "达标学校比例目标", required=False, min=0, max=1),
        C("target_count", "目标数量", "int", required=False, unit="所", note="新建小学/新建初中：当年新建学校数"),
        C("wording", "文件原文", "str", required=False, note="目标在县实施方案中的原话"),
    ),
    required=False,
    note=f"县自定的逐年目标（如{citation('003')}：各指标达标学校比例）",
    file_stems=("年度目标", "targets"),
)

# Stocks a planned investment (规划投入) may add to: facility stocks of the school table (shared by sections, so no
# section) and teacher counts of the teacher table (per section). Named by Chinese header or id.
PLANNED_FACILITY_STOCKS = ("land_area_m2", "teaching_rooms_m2", "indoor_sports_rooms_m2", "sports_area_m2",
                           "equipment_value_yuan", "multimedia_classrooms")
PLANNED_TEACHER_STOCKS = ("teachers", "teachers_above_degree", "key_teachers", "pe_teachers", "music_teachers",
                          "art_teachers")
PLANNED_STOCK_LABELS = {
    **{c.zh: ("equipment_value_yuan" if c.id == "equipment_value" else c.id) for c in SCHOOLS.columns
       if c.id in (*PLANNED_FACILITY_STOCKS, "equipment_value")},
    **{c.zh: c.id for c in TEACHERS.columns if c.id in PLANNED_TEACHER_STOCKS},
    **{s: s for s in (*PLANNED_FACILITY_STOCKS, *PLANNED_TEACHER_STOCKS)},
}

PLANNED_INVESTMENT = Table(
    "planned_investment",
    "规划投入",
    (
        C("school_code", "学校标识码", "code", aliases=("学校代码",)),
        C("section", "学段", "enum", required=False, values=SECTION_CODES, note="教师类项目必填；设施类按全校，留空"),
        C("year", "年份", "int", min=2000, max=2100, note="从该年起计入预测"),
        C("field", "项目", "enum", values=PLANNED_STOCK_LABELS, aliases=("指标项目",),
          note="学校表或教师表中的存量列名，如 教学及辅助用房面积、县级及以上骨干教师数"),
        C("amount", "数量", min=None, aliases=("金额",), note="新增数量；仪器设备按元"),
    ),
    required=False,
    note="县里已安排的建设、设备和教师补充计划；预测按“本学年数值 + 累计规划投入”计算对应学校和项目",
    file_stems=("规划投入", "planned_investment"),
)

INTAKE = Table(
    "intake",
    "招生预测",
    (
        C("school_code", "学校标识码", "code", aliases=("学校代码",)),
        C("section", "学段", "enum", values=SECTION_CODES),
        C("year", "年份", "int", min=2000, max=2100),
        C("students", "新生数", "int", unit="人", aliases=("招生数", "学生数")),
    ),
    required=False,
    key=("school_code", "section", "year"),
    note="起始年级（一年级、七年级）的预计新生数，如由出生人口推算；有则替代招生趋势",
    file_stems=("招生预测", "intake"),
)

# ---------------------------------------------------------------------------------------------------------------
# Preschool (学前教育普及普惠, 004_bc97163581bd74c7.txt 附件1 C1–C37 → P1–P37). A county hands in these tables for
# the second evaluation; a county with only compulsory (or only preschool) tables gets that part evaluated.
KINDERGARTEN_TYPES = {"公办": "public", "公办园": "public", "普惠性民办": "inclusive_private",
                      "普惠性民办园": "inclusive_private", "非普惠性民办": "private", "非普惠性民办园": "private"}
KINDERGARTEN_TYPE_ZH = {"public": "公办", "inclusive_private": "普惠性民办", "private": "非普惠性民办"}
# 公办园的举办者 (004 附件1 C11: 企事业单位、部队、高校、街道、村集体办园 count as public kindergartens).
PUBLIC_SPONSORS = {"教育部门": "education", "其他部门": "other_department", "企事业": "enterprise",
                   "企事业单位": "enterprise", "部队": "army", "高校": "university", "街道": "subdistrict",
                   "村集体": "village_collective"}
# 小区配套幼儿园的办园方式 (004 附件1 C9): 公办, 委托办成普惠性民办园, or neither.
ESTATE_OPERATION = {"公办": "public", "委托办普惠": "commissioned_inclusive", "普惠性民办": "commissioned_inclusive",
                    "非普惠": "other", "非普惠性民办": "other", "闲置": "other"}
ANNUAL_INSPECTION = {"合格": "passed", "基本合格": "basic", "不合格": "failed", "未年检": "none"}
CLASS_TYPES = {"小班": "small", "小": "small", "中班": "middle", "中": "middle", "大班": "large", "大": "large",
               "混龄班": "mixed", "混龄": "mixed"}
CLASS_TYPE_ZH = {"small": "小班", "middle": "中班", "large": "大班", "mixed": "混龄班"}
INCIDENT_KINDS = {"安全事故": "safety", "安全": "safety", "师德事件": "ethics", "师德": "ethics"}

KG_CODE = C("kg_code", "幼儿园标识码", "code", aliases=("幼儿园代码", "学校标识码"))

KINDERGARTENS = Table(
    "kindergartens",
    "幼儿园基本情况",
    (
        KG_CODE,
        C("kg_name", "幼儿园名称", "str", aliases=("园名",)),
        C("township", "所在乡镇", "str", aliases=("乡镇（街道）",)),
        C("kg_type", "办园类型", "enum", values=KINDERGARTEN_TYPES, note="公办/普惠性民办/非普惠性民办"),
        C("sponsor", "公办园举办者", "enum", required=False, values=PUBLIC_SPONSORS,
          note="公办园填：教育部门/其他部门/企事业/部队/高校/街道/村集体"),
        C("township_central", "是否乡镇中心园", "bool", required=False, note="是/否；公办乡镇中心园用于 P7"),
        C("estate", "是否小区配套幼儿园", "bool", required=False),
        C("estate_operation", "小区配套园办园方式", "enum", required=False, values=ESTATE_OPERATION,
          note="公办/委托办普惠/非普惠；只填小区配套园"),
        C("design_year", "规划设计年份", "int", required=False, min=1900, max=2100, note="P27：2017年后规划设计的园"),
        C("meets_building_standard", "是否符合幼儿园建设标准", "bool", required=False),
        C("licensed", "是否取得办园许可证", "bool", note="否 = 无证园（P24）"),
        C("annual_inspection", "年检结论", "enum", required=False, values=ANNUAL_INSPECTION),
        C("last_supervised", "最近一次办园行为督导评估年份", "int", required=False, min=1990, max=2100,
          note="P22：每4年一个周期覆盖所有幼儿园"),
        C("supervisor", "责任督学", "str", required=False),
        C("fee_per_month", "保教费标准", required=False, unit="元/月"),
        C("children", "在园幼儿数", "int", unit="人"),
    ),
    key=("kg_code",),
    note="一行一所幼儿园（含无证园）；在园幼儿数为秋季学期统计数",
    file_stems=("幼儿园基本情况", "kindergartens"),
    part="preschool",
)

KG_CLASSES = Table(
    "kg_classes",
    "幼儿园班级",
    (
        KG_CODE,
        C("class_type", "班级类型", "enum", values=CLASS_TYPES, note="小班/中班/大班/混龄班"),
        C("class_no", "班号", "int", min=1),
        C("children", "幼儿数", "int", unit="人", aliases=("班级幼儿数",)),
    ),
    key=("kg_code", "class_type", "class_no"),
    note="一行一个班（P28 班额，《幼儿园工作规程》）",
    file_stems=("幼儿园班级", "kg_classes"),
    part="preschool",
)

KG_STAFF = Table(
    "kg_staff",
    "幼儿园教职工",
    (
        KG_CODE,
        C("teachers", "专任教师数", "int", unit="人"),
        C("caregivers", "保育员数", "int", required=False, unit="人"),
        C("health_staff", "卫生保健人员数", "int", required=False, unit="人"),
        C("certified_teachers", "持有教师资格证专任教师数", "int", required=False, unit="人"),
        C("vacant_posts", "空编未补数", "int", required=False, unit="个", note="公办园核定编制中空缺未补的数量（P30）"),
        C("trained", "本年参加培训人数", "int", required=False, unit="人"),
    ),
    key=("kg_code",),
    file_stems=("幼儿园教职工", "kg_staff"),
    part="preschool",
)

PRESCHOOL_ITEMS = Table(
    "preschool_county_items",
    "学前教育县级指标",
    COUNTY_ITEMS.columns,
    guide=COUNTY_ITEMS.guide,
    required=False,
    key=("item_id",),
    note="P1_population_3_5（3—5岁常住人口数，佐证写明来源）及 P4–P36 的是/否事项与佐证材料；缺少的事项显示为“缺少数据”",
    file_stems=("学前教育县级指标", "preschool_county_items"),
    part="preschool",
)

PRESCHOOL_SPENDING = Table(
    "preschool_spending",
    "学前教育财政投入",
    (
        C("year", "年份", "int", min=2000, max=2100),
        C("total", "学前教育财政性经费总额", unit="万元", aliases=("财政投入总额",)),
        C("per_child", "生均财政性经费", required=False, unit="元", aliases=("生均财政投入",)),
        C("children", "在园幼儿数", "int", required=False, unit="人", note="未填生均时用于计算生均"),
    ),
    required=False,
    key=("year",),
    note="历年数据（P10：总额和生均均只增不减）；每年的文件列出截至本年的各年",
    file_stems=("学前教育财政投入", "preschool_spending"),
    part="preschool",
)

PRESCHOOL_INCIDENTS = Table(
    "preschool_incidents",
    "学前教育安全与师德事件",
    (
        C("kind", "事件类别", "enum", values=INCIDENT_KINDS, note="安全事故/师德事件"),
        C("year", "发生年份", "int", min=2000, max=2100),
        C("kg_code", "幼儿园标识码", "code", required=False),
        C("serious", "是否造成较大社会影响或严重", "bool", note="是 = P19/P35 所指的事件"),
        C("description", "事件说明", "str", required=False),
    ),
    required=False,
    note="一行一起事件；近两年没有事件时提交只有表头的空表（不提交则 P19、P35 为“缺少数据”）",
    file_stems=("学前教育安全与师德事件", "preschool_incidents"),
    part="preschool",
)

PRESCHOOL_SURVEY = Table(
    "preschool_survey",
    "学前教育社会认可度调查",
    (
        C("respondent_id", "问卷编号", "str"),
        C("respondent_type", "调查对象", "str", note="家长/教职工/园长/人大代表/政协委员/其他群众"),
        C("kg_code", "幼儿园标识码", "code", required=False),
        C("township", "乡镇", "str", required=False),
    ),
    required=False,
    note=SURVEY.note,
    file_stems=("学前教育社会认可度", "preschool_survey"),
    part="preschool",
    questions=True,
)

PRESCHOOL_POPULATION = Table(
    "preschool_population",
    "出生人口与学龄前人口",
    (
        C("year", "年份", "int", min=1990, max=2100),
        C("births", "出生人口数", "int", required=False, unit="人"),
        C("population_3_5", "3—5岁人口数", "int", required=False, unit="人", note="已知或预测的3—5岁常住人口"),
        C("source", "数据来源", "str", required=False),
    ),
    required=False,
    key=("year",),
    note="可选：P1 预测用；3—5岁人口按 t−3、t−4、t−5 年出生人口之和推算（未计死亡和迁移）",
    file_stems=("出生人口", "preschool_population"),
    part="preschool",
)

PRESCHOOL_TABLES = (KINDERGARTENS, KG_CLASSES, KG_STAFF, PRESCHOOL_ITEMS, PRESCHOOL_SPENDING, PRESCHOOL_INCIDENTS,
                    PRESCHOOL_SURVEY, PRESCHOOL_POPULATION)

# Levers of the planner (整改措施), named by id or by their Chinese name in standards/costs/default.yaml.
_LEVERS = load_costs()["levers"]
LEVER_LABELS = {**{v["zh"]: k for k, v in _LEVERS.items()}, **{k: k for k in _LEVERS}}

UNIT_COSTS = Table(
    "unit_costs",
    "成本单价",
    (
        C("lever", "措施", "enum", values=LEVER_LABELS, aliases=("措施编号", "措施名称")),
        C("unit_cost", "单价", required=False, unit="元", note="每单位费用；留空表示本县不采用该措施"),
        C("unit", "单位", "str", required=False),
        C("note", "说明", "str", required=False),
    ),
    required=False,
    key=("lever",),
    note="县自定的整改措施单价，替代项目的示例单价（均为假设值）；未列出的措施沿用示例单价",
    file_stems=("成本单价", "unit_costs"),
    rows=tuple((v["zh"], v["unit_cost"], v["unit"], v["assumption"]) for v in _LEVERS.values()),
)

COUNTY_PLAN = Table(
    "county_plan",
    "整改方案",
    (
        C("year", "年份", "int", min=2000, max=2100, note="实施年份"),
        C("school_code", "学校标识码", "code", aliases=("学校代码",)),
        C("section", "学段", "enum", required=False, values=SECTION_CODES, note="教师类措施必填；设施类按全校，留空"),
        C("lever", "措施", "enum", values=LEVER_LABELS, aliases=("措施编号", "措施名称")),
        C("quantity", "数量", note="人、㎡、元、间、班或所"),
        C("unit_cost", "单价", required=False, unit="元"),
        C("cost", "费用", required=False, unit="元"),
        C("department", "责任单位", "str", required=False),
        C("deadline", "完成时限", "str", required=False),
    ),
    required=False,
    note="县里修改后的整改方案（与第08步输出的整改方案相同的列）；有则第08步按本方案重新评估各时间节点（“如果……会怎样”）",
    file_stems=("整改方案", "county_plan"),
)

PLAN_BUDGET = Table(
    "plan_budget",
    "整改预算",
    (
        C("year", "年份", "int", min=2000, max=2100),
        C("budget", "年度预算", unit="万元", note="当年可用于整改措施的资金上限"),
    ),
    required=False,
    key=("year",),
    note="逐年整改资金上限；有则第08步在预算内安排整改方案（分年实施、每年不超过预算）",
    file_stems=("整改预算", "plan_budget"),
)

TABLES: dict[str, Table] = {
    t.id: t for t in (SCHOOLS, TEACHERS, CLASSES, COUNTY_ITEMS, MONITORING, MONITORING_RESULTS, SURVEY, TARGETS,
                      PLANNED_INVESTMENT, INTAKE, UNIT_COSTS, COUNTY_PLAN, PLAN_BUDGET, *PRESCHOOL_TABLES)
}
PARTS_ZH = {"compulsory": "义务教育优质均衡", "preschool": "学前教育普及普惠"}


def parts_supplied(table_ids) -> list[str]:
    """The evaluations (parts) a county-year's tables feed, in contract order: a part is supplied when any of its
    tables is."""
    found = {TABLES[t].part for t in table_ids if t in TABLES}
    return [p for p in PARTS_ZH if p in found]
