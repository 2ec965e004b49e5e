"""The standards package's shared vocabulary: statuses and lights, responsible departments."""

from __future__ import annotations

from analysis.standards import load_profile
from analysis.standards import status as st
from analysis.standards.departments import departments, departments_note, departments_source


def test_one_mapping_from_every_status_to_a_light():
    assert [st.light_of(v) for v in (True, False, "on_track", "off_track", "at_risk", "observed",
                                     None, float("nan"), "达标", "未达标", "", "预计不达标", "存在风险", "met")] == [
        "pass", "fail", "pass", "fail", "at_risk", "unknown", "unknown", "unknown", "pass", "fail", "unknown",
        "fail", "at_risk", "pass"]
    assert st.worst_light(["pass", "at_risk", "pass"]) == "at_risk"
    assert st.worst_light(["pass", "fail", "at_risk"]) == "fail"
    assert st.worst_light(["达标", None]) == "unknown"
    assert st.worst_light([]) == "unknown"
    # every item status and projection status has its light or is deliberately left out
    assert set(st.ITEM_LIGHT) == set(st.ITEM_STATUSES)
    assert {st.light_of(s) for s in (st.ON_TRACK, st.AT_RISK, st.OFF_TRACK)} == {"pass", "at_risk", "fail"}
    assert all(st.light_of(st.PROJECTION_ZH[s]) == st.light_of(s) for s in (st.ON_TRACK, st.AT_RISK, st.OFF_TRACK))


COUNTY_DEPARTMENTS = {"R1": {"lead": "县教育局", "cooperating": ["县人社局", "县委编办"]}, "R2": ["县教育局", "县人社局"],
                      "R4": "县发展改革委、县教育局", "R6": {"牵头": ["县教育局"], "配合": "县财政局、县教育局"},
                      "R7": {"lead": "县教育局", "note": "按本县方案"}}


def test_departments_accept_the_three_layouts_and_say_when_none_is_listed():
    prof = {"departments": COUNTY_DEPARTMENTS}
    assert departments(prof, "R1") == (["县教育局"], ["县人社局", "县委编办"])
    assert departments(prof, "R2") == (["县教育局"], ["县人社局"])
    assert departments(prof, "R4") == (["县发展改革委"], ["县教育局"])
    assert departments(prof, "R6") == (["县教育局"], ["县财政局"])  # a lead never also cooperates
    assert departments(prof, "R3") == ([], []) and departments({"departments": {}}, "R1") == ([], [])
    assert departments_note(prof, "R3") == "标准配置未列出R3的责任部门" and departments_note(prof, "R1") == ""
    assert departments_note(prof, "R7") == "按本县方案" and "未列出责任部门" in departments_note({}, "R1")
    # the national profile lists units in document order, the first one leading (000 附件2)
    national = load_profile("national")
    assert departments(national, "R1") == (["县教委"], ["县人力社保局"])
    assert departments_source(national).startswith("《南川区创建国家义务教育优质均衡发展区工作方案》（南川府办〔2021〕51号）附件2")
    assert departments_source({}) == ""  # cited by title (analysis.standards.sources), not by the seed's file name
