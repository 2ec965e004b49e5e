"""The user documents in docs/ are what the code says: every table, column and county item code is listed."""

from analysis.data.columns import TABLES
from analysis.data.county_items import ITEMS
from analysis.data.docs import DOCS, INPUT_DOC, ITEMS_DOC, county_items_markdown, input_contract_markdown
from analysis.data.templates import header_text


def test_generated_docs_are_up_to_date():
    """Regenerate with ``python -m analysis.data.docs`` after changing the contract or the county items."""
    assert (DOCS / INPUT_DOC).read_text(encoding="utf-8") == input_contract_markdown()
    assert (DOCS / ITEMS_DOC).read_text(encoding="utf-8") == county_items_markdown()


def test_input_doc_lists_every_table_and_column():
    text = (DOCS / INPUT_DOC).read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"## {table.zh}" in text
        for col in table.columns:
            assert f"| {header_text(col)} |" in text, col.id


def test_items_doc_lists_every_code():
    text = (DOCS / ITEMS_DOC).read_text(encoding="utf-8")
    for item in ITEMS:
        assert f"| `{item.code}` |" in text


def test_reading_guide_covers_what_a_new_user_asks():
    text = (DOCS / "报告阅读说明.md").read_text(encoding="utf-8")
    for words in ("summary.html", "audit.html", "results.xlsx", "缺少数据", "一个年份", "--allow-root", "秒"):
        assert words in text
    assert "shared/" not in text
