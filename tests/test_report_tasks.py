"""Tracking fragments and Excel sheets (report/tasks.py): schedule, task list, townships, yearly targets, ledger."""

import pandas as pd
from openpyxl import Workbook

from analysis.data import catalog
from analysis.report import tasks as task_report
from analysis.standards import load_profile


def _tasks() -> pd.DataFrame:
    return pd.DataFrame({"department": ["县<教委>", "县财政局"], "role": ["牵头", "配合"],
                         "task_kind": ["评估事项", "评估事项"], "item_id": ["G7", "G7"], "task": ["G7 特教经费"] * 2,
                         "schools": ["", ""], "deadline_year": [2026, 2026], "deadline": ["2026年9月—12月 市级综合督导评估"] * 2,
                         "status": ["未达标", "未达标"], "source": ["items", "items"]})


def test_absent_and_empty_datasets_say_so():
    missing = task_report.task_list_html(None, load_profile("chongqing"))
    assert catalog.dataset("task_list").title_zh in missing and "task_list.csv" not in missing
    assert "没有未达标事项" in task_report.task_list_html(_tasks().head(0), load_profile("chongqing"))
    assert "未规定时间节点" in task_report.schedule_html(pd.DataFrame(columns=["milestone_zh"]))
    assert "未提供县定年度目标表" in task_report.target_ledger_html(pd.DataFrame(columns=["year"]), None)
    # a load that finds nothing gives None for every tracking dataset
    def absent(name):
        raise FileNotFoundError(name)
    assert task_report.load_tracking(absent) == task_report.Tracking()


def test_task_list_is_escaped_and_names_the_seed_table():
    page = task_report.task_list_html(_tasks(), load_profile("chongqing"))
    assert "县&lt;教委&gt;" in page and "县<教委>" not in page
    # the seed table is cited by its document's title, never by its file name
    assert "按《南川区创建国家义务教育优质均衡发展区工作方案》（南川府办〔2021〕51号）附件2" in page
    assert "000_7663589297cde400.txt" not in page and "共 2 个单位、2 条任务" in page


def test_township_shares_and_large_class_summary():
    towns = pd.DataFrame({"township": ["甲镇"], "schools": [2], "compliant_share": [0.5], "recognition_rate": [0.875]})
    page = task_report.township_html(towns, {})
    assert "50.0%" in page and "87.5%" in page
    ledger = pd.DataFrame({"year": [2021, 2021, 2022], "next_year": ["次年已消除", "次年仍超额", "最新年份"]})
    targets = pd.DataFrame({"year": [2021], "wording": ["全县基本消除大班额"], "indicator": ["G5"]})
    page = task_report.target_ledger_html(targets, ledger)
    assert "2021 年：大班额 2 个（次年仍超额 1，次年已消除 1）" in page and "2022 年：大班额 1 个" in page


def test_sheets_have_chinese_headers_and_sections():
    ledger = pd.DataFrame({"year": [2021], "school_code": ["A"], "school_name": ["甲小学"], "section": ["primary"],
                           "grade": [3], "class_no": [1], "students": [50], "cap": [45], "next_year": ["次年已消除"]})
    wb = Workbook()
    task_report.add_sheets(wb, task_report.Tracking(tasks=_tasks(), large_classes=ledger))
    assert wb.sheetnames[1:] == ["时间节点", "任务清单", "分乡镇", "年度目标", "大班额台账"]
    assert [c.value for c in wb["任务清单"][1]][:3] == ["责任单位", "角色", "类别"]
    assert [c.value for c in wb["大班额台账"][2]][:3] == [2021, "甲小学", "小学"]
    assert catalog.dataset("townships").title_zh in str(wb["分乡镇"]["A2"].value)
