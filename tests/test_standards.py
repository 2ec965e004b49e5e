"""The standards package's shared vocabulary: statuses and lights, responsible departments."""

from __future__ import annotations

from analysis.standards import status as st


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
