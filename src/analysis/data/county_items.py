"""County items (县级指标清单): every code the county-items sheet may carry, with its Chinese name, unit and values.

The evaluation reads these codes (``G8_teacher_pay``, ``G13_primary``, ``Q1_intake``, ``V1`` …) from the 县级指标
sheet; a county never has to type one: the template lists them all, pre-filled, and the county fills the values
(数值) and the evidence (佐证材料). :func:`profile_items` gives the items a standards profile needs (an item the
profile marks ``applies: false`` — e.g. G2 and G14 in the Anhui profile — is left out). The evaluation lives in
``analysis.evaluate`` (guarantee.py, quality.py, verdict.py); tests check that every code it reads is listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of value (取值类型) and what a county may write in the 数值 cell.
YES_NO, RATE, COUNT, AMOUNT = "yes_no", "rate", "count", "amount"
ALLOWED_ZH = {
    YES_NO: "是/否",
    RATE: "0–1 的小数或百分数（如 0.98 或 98%）",
    COUNT: "不小于 0 的整数",
    AMOUNT: "不小于 0 的数值",
}
AREAS = ("guarantee", "quality", "veto", "extras")  # the profile sections whose items a county reports


@dataclass(frozen=True)
class CountyItem:
    """One code of the county-items sheet: ``parent`` is the profile item it serves (G8_teacher_pay → G8)."""

    code: str
    parent: str
    kind: str
    zh: str = ""  # empty: the profile's name of the parent item (G1, Q5, V1 …)
    unit: str = ""
    fallback: bool = False  # read only when the school sheet lacks the columns the item is computed from
    note: str = ""

    @property
    def allowed(self) -> str:
        """What the 数值 cell accepts, in Chinese (the V items say what 是 means)."""
        text = ALLOWED_ZH[self.kind]
        if self.parent.startswith("V"):
            text += "（是 = 存在该情形，一票否决）"
        return text + (f"；{self.note}" if self.note else "")


Item = CountyItem
_FALLBACK = "学校基本情况表已逐校填写{cols}时可不填"
ITEMS: tuple[CountyItem, ...] = (
    Item("G1", "G1", YES_NO),
    Item("G2", "G2", YES_NO),
    Item("G6", "G6", YES_NO, fallback=True, note=_FALLBACK.format(cols="生均公用经费、公用经费总额")),
    Item("G7", "G7", AMOUNT, "特殊教育学校生均公用经费", "元",
      note="未填时取学校基本情况表中特殊教育学校生均公用经费的最低值"),
    Item("G8_teacher_pay", "G8", AMOUNT, "教师年平均工资收入", "元"),
    Item("G8_civil_servant_pay", "G8", AMOUNT, "当地公务员年平均工资收入", "元"),
    Item("G8_performance_pay", "G8", YES_NO, "按规定足额核定教师绩效工资总量"),
    Item("G10", "G10", YES_NO),
    Item("G13_primary", "G13", RATE, "城区和镇区公办小学（不含寄宿制学校）就近划片入学比例", "比例"),
    Item("G13_junior", "G13", RATE, "城区和镇区公办初中（不含寄宿制学校）就近划片入学比例", "比例"),
    Item("G14_quota_share", "G14", RATE, "优质高中招生名额分配到区域内初中的比例", "比例"),
    Item("G14_rural_tilt", "G14", YES_NO, "名额分配向农村初中倾斜"),
    Item("G15_care_system", "G15", YES_NO, "留守儿童关爱保护体系健全"),
    Item("G15_migrant_eligible", "G15", COUNT, "符合条件的随迁子女数", "人"),
    Item("G15_migrant_public", "G15", COUNT, "其中在公办学校和政府购买服务的民办学校就读数", "人"),
    Item("Q1_graduates", "Q1", COUNT, "初三在校（毕业）人数", "人"),
    Item("Q1_intake", "Q1", COUNT, "三年前初一入学人数", "人"),
    Item("Q1_transfer_in", "Q1", COUNT, "三年内转入人数", "人", note="没有时填 0"),
    Item("Q1_transfer_out", "Q1", COUNT, "三年内转出人数", "人", note="没有时填 0"),
    Item("Q1_deaths", "Q1", COUNT, "三年内死亡人数", "人", note="没有时填 0"),
    Item("Q2_disabled_enrolled", "Q2", COUNT, "残疾儿童少年入学人数（含特教学校、随班就读、送教上门）", "人"),
    Item("Q2_disabled_population", "Q2", COUNT, "适龄残疾儿童少年数", "人"),
    Item("Q3", "Q3", YES_NO, fallback=True, note=_FALLBACK.format(cols="是否制定章程、管理与教学信息化")),
    Item("Q5", "Q5", YES_NO),
    Item("Q6", "Q6", YES_NO, fallback=True, note=_FALLBACK.format(cols="德育与校园文化评价")),
    Item("Q7", "Q7", YES_NO),
    Item("Q8", "Q8", YES_NO),
    *(Item(f"V{k}", f"V{k}", YES_NO) for k in range(1, 7)),
)
# Items of the extras (附加要求) that only some seeds add (standards ``extras``; off unless a profile applies them).
EXTRA_ITEMS: tuple[CountyItem, ...] = (
    Item("X_classrooms_networked_multimedia", "X_multimedia_every_classroom", COUNT, "配备联网多媒体设施的教室数", "间"),
    Item("X_classrooms", "X_multimedia_every_classroom", COUNT, "教室总数", "间"),
    Item("X_continuing_education_budget", "X_training_payroll", AMOUNT, "教师继续教育经费预算", "元"),
    Item("X_staff_payroll", "X_training_payroll", AMOUNT, "教职工工资总额", "元"),
    Item("X_labour_practice_hours", "X_labour_practice", AMOUNT, "其中劳动实践课时", "课时"),
    Item("X_comprehensive_practice_hours", "X_labour_practice", AMOUNT, "综合实践活动课时（学年）", "课时"),
    Item("X_dropout_rate", "X_dropout", RATE, "义务教育辍学率", "比例"),
    Item("X_general_budget_edu_spending", "X_funding_non_decrease", AMOUNT, "一般公共预算教育支出（逐年填报）", "元"),
    Item("X_general_budget_edu_spending_per_student", "X_funding_non_decrease", AMOUNT,
         "按在校学生人数平均的一般公共预算教育支出（逐年填报）", "元"),
    Item("X_edu_appropriation", "X_three_growths", AMOUNT, "财政教育拨款（逐年填报）", "元"),
    Item("X_recurrent_revenue", "X_three_growths", AMOUNT, "财政经常性收入（逐年填报）", "元"),
    Item("X_per_student_edu_spending", "X_three_growths", AMOUNT, "生均教育费用（逐年填报）", "元"),
    Item("X_per_student_public_funds", "X_three_growths", AMOUNT, "生均公用经费（逐年填报）", "元"),
    Item("X_standardised_schools", "X_standardised_schools", COUNT, "标准化学校数", "所"),
    Item("X_compulsory_schools", "X_standardised_schools", COUNT, "义务教育学校数", "所"),
    Item("X_urban_town_primary_seats", "X_school_places", COUNT, "城镇小学学位数", "个"),
    Item("X_urban_town_junior_seats", "X_school_places", COUNT, "城镇初中学位数", "个"),
    Item("X_urban_town_population", "X_school_places", COUNT, "城镇常住人口", "人"),
    Item("X_primary_service_radius_m", "X_school_places", AMOUNT, "小学服务半径", "米"),
    Item("X_junior_service_radius_m", "X_school_places", AMOUNT, "初中服务半径", "米"),
)
BY_CODE: dict[str, CountyItem] = {i.code: i for i in (*ITEMS, *EXTRA_ITEMS)}


def _parent_spec(profile: dict, parent: str) -> dict | None:
    for area in AREAS:
        spec = (profile.get(area) or {}).get(parent)
        if spec is not None:
            return spec
    return None


def item_name(item: CountyItem, profile: dict) -> str:
    """The item's Chinese name; a whole-item code (G1, V3 …) takes the profile's own wording."""
    spec = _parent_spec(profile, item.parent) or {}
    return item.zh or spec.get("zh", item.code)


def profile_items(profile: dict) -> list[CountyItem]:
    """The county items ``profile`` reads, in sheet order: items of parents it leaves out (applies: false) or does
    not have are dropped."""
    out = []
    for item in (*ITEMS, *EXTRA_ITEMS):
        spec = _parent_spec(profile, item.parent)
        if spec is not None and spec.get("applies", True) is not False:
            out.append(item)
    return out


def preschool_items(profile: dict) -> list[CountyItem]:
    """The county items of the preschool evaluation (学前教育县级指标): the 3–5-year-old population P1 divides by, and
    every item the profile marks ``evidence`` (是/否 with evidence, never assumed)."""
    spec = profile.get("preschool") or {}
    items = [CountyItem(spec.get("population_item", "P1_population_3_5"), "P1", COUNT, "3—5岁常住人口数", "人",
                        note="佐证材料写明数据来源（如统计年鉴、公安户籍）")]
    for code, item in (spec.get("items") or {}).items():
        if item.get("kind") == "evidence":
            items.append(CountyItem(code, code, YES_NO, item.get("zh", code)))
    return items
