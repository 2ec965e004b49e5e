"""Each profile against its seed's text: milestones, item scope, departments (the seed line quoted in each test)."""

import pandas as pd

from analysis.evaluate import extras, milestones, targets, tasks
from analysis.evaluate.guarantee import music_art_rooms, small_school_funding
from analysis.evaluate.recognition import scored_answers
from analysis.standards import load_profile
from analysis.standards.departments import department_roles, departments, departments_note
from analysis.standards.status import FAIL, MISSING, PASS


def _years(profile):
    return {m["id"]: m["year"] for m in profile["milestones"]}


def test_xiushan_2028_for_both_and_its_yearly_targets():
    # 003: "到2028年，……全部达到评估标准，并顺利通过市评估和国家认定"
    p = load_profile("xiushan")
    assert _years(p) == {"provincial": 2028, "national": 2028}
    # 003 四: "2023年，……新建1所初中" ; "2028年，全面消除2000人以上的大规模学校"
    rows = {(t["year"], t["indicator"], t["scope"]): t for t in p["yearly_targets"]}
    assert rows[(2023, "新建初中", "全部")]["target_count"] == 1
    assert rows[(2028, "G4", "全部")]["target_share"] == 1.0
    assert rows[(2024, "R4+R5", "乡镇法人学校")]["target_share"] == 0.85
    assert {t["year"] for t in p["yearly_targets"]} == set(range(2021, 2029))
    assert not any(t["indicator"] in ("R1", "R7") for t in p["yearly_targets"])
    # 003 五（一）1: "（责任单位：县教委、县委编办、县人力社保局）" — no lead named
    r2 = department_roles(p, "R2")
    assert r2["responsible"] == ["县教委", "县委编办", "县人力社保局"] and r2["lead"] == []
    assert p["extras"]["X_school_places"]["applies"] and not p["extras"]["X_training_payroll"]["applies"]


def test_xinjiang_everything_in_2022_and_past_milestones_are_judged_not_projected():
    # 002: "2022年5月完成州级复核。2022年6月向自治区提出评估申请，接受省级督评。10-11月全面迎接国家审核认定"
    p = load_profile("xinjiang")
    assert set(_years(p).values()) == {2022}
    dates = {m["id"]: m["date_zh"] for m in p["milestones"]}
    assert dates["prefecture_review"] == "2022年5月" and dates["national"] == "2022年10月—11月"
    assert milestones.projected(p, 2025) == []
    items_2022 = pd.DataFrame({"area": ["guarantee", "quality"], "status": [PASS, FAIL], "parent_id": ["G1", "Q1"]})
    schedule = milestones.milestone_schedule(p, 2025, {2022: items_2022}).set_index("milestone_id")
    assert schedule.loc["national", "timing"] == "past" and schedule.loc["national", "status"] == "missed"
    assert "Q1" in schedule.loc["national", "basis"]
    # 002 附件1 G8 row: "组织部、财政局、人社局"; G15 "民政局、教育局、妇联、团委、残联" — 责任单位, no lead
    assert department_roles(p, "G8") == {"responsible": ["组织部", "财政局", "人社局"], "lead": [], "cooperate": [],
                                         "role_zh": "责任单位"}
    assert department_roles(p, "G15")["responsible"] == ["民政局", "教育局", "妇联", "团委", "残联"]
    assert department_roles(p, "G7")["responsible"] == ["财政局", "残联"]
    assert {k for k, v in p["extras"].items() if v["applies"]} == {"X_dropout", "X_three_growths",
                                                                  "X_standardised_schools"}


def test_anhui_provincial_2026_national_undated_review_and_self_evaluation():
    # 001: "2026年通过省级评估，并适时接受国家认定"; "于2026年8月前……申请……市级复核"; "每年12月15日前……报送自评工作总结材料"
    p = load_profile("anhui")
    years = _years(p)
    assert years["provincial"] == 2026 and years["national"] is None and years["municipal_review"] == 2026
    assert {m["date_zh"] for m in p["milestones"] if m["id"].startswith("self_evaluation")} == {
        "2024年12月15日前", "2025年12月15日前"}
    assert 2027 not in years.values() and 2028 not in years.values()
    schedule = milestones.milestone_schedule(p, 2025).set_index("milestone_id")
    assert schedule.loc["national", "timing"] == "undated"
    # 001 cites 国教督办函〔2019〕30号 and 皖教督〔2018〕8号: G2, G14 and the 90 ㎡ art room apply
    assert p["guarantee"]["G2"].get("applies", True) and p["guarantee"]["G14"].get("applies", True)
    assert p["guarantee"]["G3"]["art_room_min_m2"] == 90
    literal = load_profile("anhui_literal")
    assert literal["guarantee"]["G2"]["applies"] is False and literal["guarantee"]["G3"]["art_room_min_m2"] is None
    # 001 附件2: "区教体局：……牵头做好创建……日常工作"; 任务2 "（责任部门：区教体局、区住房城乡建设局、区财政局、区自然资源和规划分局）"
    r4 = department_roles(p, "R4")
    assert r4["lead"] == ["区教体局"] and r4["responsible"][0] == "区教体局"
    assert department_roles(p, "G2")["responsible"] == []


def test_chongqing_rechecks_and_seed_order_with_stated_lead():
    # 000: "接受国家连续3年的复查与动态监测"; "迎接市级综合督导评估（2026年9月—12月）"
    p = load_profile("chongqing")
    years = _years(p)
    assert (years["provincial"], years["national"]) == (2026, 2027)
    assert [years[f"national_recheck_{k}"] for k in (1, 2, 3)] == [2028, 2029, 2030]
    assert "all_schools" not in years  # 2028 all schools is 003's, not 000's
    # 000 附件2 R4 row: "区发展改革委、区教委、区财政局、区住房城乡建委、区规划自然资源局"; 附件1: 区教委 "牵头"
    r4 = department_roles(p, "R4")
    assert r4["responsible"][0] == "县发展改革委" and r4["lead"] == ["县教委"]
    assert {k for k, v in p["extras"].items() if v["applies"]} == {"X_training_payroll", "X_labour_practice"}


def test_rongchang_sections_and_no_milestones():
    # 004 附件2 C10: "技装中心"; C9: "规划建设科 组织人事科 财务审计科 技装中心"
    p = load_profile("rongchang")
    assert p["milestones"] == []
    assert department_roles(p, "G3") == {"responsible": ["技装中心"], "lead": [], "cooperate": [], "role_zh": "责任科室"}
    assert department_roles(p, "G2")["responsible"] == ["规划建设科", "组织人事科", "财务审计科", "技装中心"]


def test_g3_includes_small_teaching_points_and_g6_teaching_points_anywhere():
    # 000 附件2: G3 "所有小学、初中每12个班级配备音乐、美术专用教室1间以上"; 备注（三）excludes 不足50人的教学点 for "7项指标" only
    p = load_profile("national")
    schools = pd.DataFrame({
        "school_code": ["A", "B"], "school_name": ["甲教学点", "乙小学"], "school_type": ["teaching_point", "primary_school"],
        "urban_rural": ["town", "rural"], "students_primary": [30, 80], "students_junior": [0, 0],
        "classes_primary": [2, 6], "classes_junior": [0, 0], "music_rooms": [0, 1], "music_rooms_m2": [None, 96],
        "music_rooms_m2_basis": ["per_room_min"] * 2, "art_rooms": [0, 1], "art_rooms_m2": [None, 90],
        "art_rooms_m2_basis": ["per_room_min"] * 2, "public_funds_per_student": [800, 800],
        "public_funds_total": [80000, 60000]})
    assert set(music_art_rooms(schools, p)["school_code"]) == {"A", "B"}
    p["guarantee"]["G3"]["include_small_teaching_points"] = False
    assert set(music_art_rooms(schools, p)["school_code"]) == {"B"}
    # "不足100名学生村小和教学点": the town teaching point is covered
    funding = small_school_funding(schools, p).set_index("school_code")
    assert set(funding.index) == {"A", "B"} and funding.loc["B", "status"] == FAIL


def test_recognition_other_public_is_the_seed_name_and_s1_is_not_a_veto():
    # 000 附件2: "学生、家长、教师、校长、人大代表、政协委员及其他群众"
    p = load_profile("national")
    assert "其他群众" in p["recognition"]["groups"] and p["recognition"]["failing_is_veto"] is False
    survey = pd.DataFrame({"respondent_id": ["1", "2"], "respondent_type": ["社区群众", "其他群众"],
                           "question": ["题1", "题1"], "answer": ["满意", "满意"]})
    assert set(scored_answers(survey, p)["respondent_type"]) == {"其他群众"}


def _county(year, **values):
    return pd.DataFrame({"item_id": list(values), "value": [str(v) for v in values.values()]})


def test_extras_ratio_value_and_series():
    p = load_profile("anhui")
    by_year = {2023: _county(2023, X_general_budget_edu_spending=100, X_general_budget_edu_spending_per_student=10),
               2024: _county(2024, X_general_budget_edu_spending=110, X_general_budget_edu_spending_per_student=9,
                             X_classrooms=50, X_classrooms_networked_multimedia=49)}
    rows = extras.extra_items(by_year, p, 2024).set_index("item_id")
    # 001: "确保在校学生生均一般公共预算教育支出逐年只增不减" — 10 → 9 breaks it
    assert rows.loc["X_funding_non_decrease_total", "status"] == PASS
    assert rows.loc["X_funding_non_decrease_per_student", "status"] == FAIL
    # 001: "学校每个教室须配备多媒体设施并联网" — 49 of 50
    assert rows.loc["X_multimedia_every_classroom", "status"] == FAIL
    assert rows.loc["X_standardised_schools", "status"] == MISSING
    x = load_profile("xiushan")
    # 003: "千人学位数分别不低于84座、42座……小学服务半径不超过1000米"
    r = extras.extra_items({2025: _county(2025, X_urban_town_primary_seats=8500, X_urban_town_junior_seats=4100,
                                          X_urban_town_population=100000, X_primary_service_radius_m=900,
                                          X_junior_service_radius_m=1600)}, x, 2025).set_index("item_id")
    assert r.loc["X_school_places_primary", "status"] == PASS and r.loc["X_school_places_junior", "status"] == FAIL
    assert r.loc["X_service_radius_primary", "status"] == PASS and r.loc["X_service_radius_junior", "status"] == FAIL
    xj = load_profile("xinjiang")
    d = extras.extra_items({2022: _county(2022, X_dropout_rate="0.1%")}, xj, 2022).set_index("item_id")
    assert d.loc["X_dropout", "status"] == FAIL  # 002: "确保辍学率为0"


def test_task_list_roles_and_deadlines():
    p = load_profile("xinjiang")
    items = pd.DataFrame([{"item_id": "G7", "parent_id": "G7", "name_zh": "特教经费", "value_text": "5000 元",
                           "status": FAIL, "lead_department": "", "cooperating_departments": "",
                           "responsible_departments": "财政局、残联"}])
    t = tasks.task_list(items, None, p, 2025)
    assert list(t["department"]) == ["财政局", "残联"] and set(t["role"]) == {"责任单位"}
    assert t["deadline"].iloc[0].startswith("尽快（最后时间节点 2022年")
    c = load_profile("chongqing")
    t = tasks.task_list(items.assign(lead_department="县教委", cooperating_departments="县财政局",
                                     responsible_departments="县财政局、县教委"), None, c, 2025)
    assert list(t["department"]) == ["县财政局", "县教委"] and list(t["role"]) == ["配合", "牵头"]
    assert t["deadline"].iloc[0] == "2026年9月—12月 市级综合督导评估"


def test_large_class_ledger_tracks_clearing():
    p = load_profile("national")
    schools = pd.DataFrame({"school_code": ["A"], "school_name": ["甲"], "school_type": ["primary_school"]})
    c = lambda n: pd.DataFrame({"school_code": ["A"], "section": ["primary"], "grade": [3], "class_no": [1],  # noqa: E731
                                "students": [n]})
    ledger = targets.large_class_ledger({2021: c(50), 2022: c(44)}, {2021: schools, 2022: schools}, p)
    assert ledger[["year", "next_year"]].values.tolist() == [[2021, "次年已消除"]]
    moved = c(50).assign(class_no=2)  # 2023: class 1 is gone, class 2 is oversized
    ledger = targets.large_class_ledger({2021: c(50), 2022: c(50), 2023: moved},
                                        {2021: schools, 2022: schools, 2023: schools}, p)
    assert ledger[["year", "class_no", "next_year"]].values.tolist() == [
        [2021, 1, "次年仍超额"], [2022, 1, "次年无此班"], [2023, 2, "最新年份"]]


def test_lead_and_cooperating_only_where_the_seed_names_a_lead():
    # 000 附件1: 区教委 "牵头", the others "配合" — R4 lists 发展改革委 first, yet 县教委 leads
    c = load_profile("chongqing")
    assert departments(c, "R4") == (["县教委"], ["县发展改革委", "县财政局", "县住房城乡建委", "县规划自然资源局"])
    assert departments_note(c, "R4") == ""
    # 002 附件1 G8 "组织部、财政局、人社局": 责任单位 without a lead — no one is called 牵头, the note lists them
    x = load_profile("xinjiang")
    assert departments(x, "G8") == ([], [])
    assert departments_note(x, "G8") == "责任单位：组织部、财政局、人社局（文件未指定牵头单位）"
    # a hand-made table without lead_unit keeps the first-listed-leads reading
    assert departments({"departments": {"R1": ["甲", "乙"]}}, "R1") == (["甲"], ["乙"])
