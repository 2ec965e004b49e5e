"""Source documents (文件依据) cited by title: the one place that knows which seed file is which document.

Developers cite the seed documents by file name or by their three-digit short form (``000 附件2``, ``004 号文件
附件1``, ``003``) in code comments, docstrings and YAML comments. A reader never sees those names: every text that
reaches a report (profile ``source`` and ``title`` fields, item reasons, the HTML pages as a last safety net) goes
through :func:`cite`, which writes the document's title (and its 发文字号, when it has one) instead.

Titles are as printed in the seeds' heads: 000_7663589297cde400.txt, 001_168bc896d16e4fd4.txt,
002_fec0768d769eda13.txt, 003_1c8462c5537f038e.txt (its 发文字号 field is blank), 004_bc97163581bd74c7.txt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document: short form, seed file name, title (without 《》) and 发文字号 ("" when none)."""

    code: str
    file: str
    title: str
    number: str = ""

    @property
    def citation(self) -> str:
        """How a report cites it: 《title》（发文字号）."""
        return f"《{self.title}》" + (f"（{self.number}）" if self.number else "")


DOCUMENTS = (
    Document("000", "000_7663589297cde400.txt", "南川区创建国家义务教育优质均衡发展区工作方案", "南川府办〔2021〕51号"),
    Document("001", "001_168bc896d16e4fd4.txt", "田家庵区推进县域义务教育优质均衡发展工作方案"),
    Document("002", "002_fec0768d769eda13.txt", "奇台县创建义务教育优质均衡发展县实施方案", "奇政办发〔2021〕10号"),
    Document("003", "003_1c8462c5537f038e.txt", "秀山土家族苗族自治县创建全国义务教育优质均衡发展县实施方案"),
    Document("004", "004_bc97163581bd74c7.txt", "关于成立全国学前教育普及普惠区和义务教育优质均衡发展区创建工作专班的通知",
             "荣教政发〔2023〕78号"),
)
BY_CODE = {d.code: d for d in DOCUMENTS}
BY_FILE = {d.file: d for d in DOCUMENTS}

# A seed file name (any: a seed added later is never shown by its file name either).
_SPACE = r"(?P<space>[ \t]+(?=[\u2e80-\uffef]))?"  # the space a developer leaves before Chinese text goes
SEED_FILE = re.compile(r"(?<![0-9A-Za-z_])(\d{3})_[0-9a-f]{16}(?:\.txt)?(?![0-9A-Za-z_])")
_FILE = re.compile(SEED_FILE.pattern + _SPACE)
_CODES = "|".join(sorted(BY_CODE))
# A short form stands alone: not part of a number (2,000 · 0.000 · 1000), a colour (#000), an id or base64 text.
_CODE = rf"(?<![0-9A-Za-z_#.,+/=%\-])(?:{_CODES})(?![0-9A-Za-z_.,%])"
# One or more short forms ("000、004", "000/001/002/004"), then the word developers put after them (号文件, 工作方案).
_GROUP = rf"(?P<group>{_CODE}(?:\s*[、/，,和及]\s*(?:{_CODES})(?![0-9A-Za-z_.,%]))*)"
_WORD = r"(?:\s*(?:号文件|文件|工作方案|实施方案))?"
_SHORT = re.compile(_GROUP + _WORD + _SPACE)
# Strict (whole pages): only where the short form reads as a citation, followed by 号文件, 附件 or a section number.
_MARK = r"(?=\s*(?:号文件|文件|工作方案|实施方案|附件|[一二三四五六七八九十]{1,3}(?:[（(、\s\"“]|$)))"
_SHORT_STRICT = re.compile(_GROUP + _MARK + _WORD + _SPACE)


def citation(code_or_file: str) -> str:
    """《title》（发文字号） of a seed by short form (``"000"``) or file name; an unknown seed is 所引文件."""
    m = SEED_FILE.fullmatch(code_or_file)
    doc = BY_CODE.get(m.group(1) if m else code_or_file)
    return doc.citation if doc else "所引文件"


def _group_citation(m: re.Match) -> str:
    return "、".join(citation(c) for c in re.findall(_CODES, m.group("group")))


def cite(text: str, strict: bool = False) -> str:
    """``text`` with every seed file name and short form replaced by the document's title (文件依据).

    ``000_7663589297cde400.txt 附件2`` and ``000 附件2`` → ``《南川区…工作方案》（南川府办〔2021〕51号）附件2``;
    ``000、004 号文件要求`` → ``《…》（…）、《…》（…）要求``; ``（003 号文件口径）`` → ``（《…》口径）``.
    ``strict`` (for whole pages, where a bare ``001`` may be a code or a count) rewrites a short form only where it
    reads as a citation: followed by 号文件, 附件 or a section number (``003 二``).
    """
    if not isinstance(text, str) or not text:
        return text
    text = _FILE.sub(lambda m: citation(m.group(1)), text)
    return (_SHORT_STRICT if strict else _SHORT).sub(_group_citation, text)


CITED_KEYS = ("source", "title")


def cite_fields(data: Any, keys: Iterable[str] = CITED_KEYS) -> Any:
    """A copy of a profile (nested mappings and lists) with its ``source`` and ``title`` texts cited by title."""
    keys = tuple(keys)
    if isinstance(data, dict):
        return {k: (cite(v) if k in keys and isinstance(v, str) else cite_fields(v, keys)) for k, v in data.items()}
    if isinstance(data, list):
        return [cite_fields(v, keys) for v in data]
    return data


def cite_html(page: str) -> str:
    """The text of an HTML page cited by title (:func:`cite`, strict), leaving tags, styles and scripts alone."""
    parts = re.split(r"(<style\b.*?</style>|<script\b.*?</script>|<[^>]*>)", page, flags=re.S | re.I)
    return "".join(p if i % 2 else cite(p, strict=True) for i, p in enumerate(parts))
