"""Presentation rules every view shares: how numbers and answers are written, and which assessments a
view picks by default. The app, the CLI and the PDF call these, so they write the same thing.

Pure: values in, text or ids out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from assessment.model import Answer, AssessmentDetails
from assessment.questionnaire import LevelNames, Question

_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
# GFM's literal autolinks are found in the parsed text, after escapes are undone: a word joiner (invisible)
# before each start stops them, as an autolink must follow a space, punctuation or the start of the text.
_AUTOLINK = re.compile(r"(?i)(?=https?:|www\.|mailto:|xmpp:|@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """Untrusted text (a name, a note, a comment, an imported title) for Streamlit's Markdown, shown as typed.

    Markdown would fetch `![x](http://…)` as an image on the projected screen, make links clickable,
    turn `https://…` and `www.…` into links, `:red[…]` into colour and `$…$` into formulas. Every ASCII
    punctuation character is backslash-escaped (CommonMark allows that for each of them), which breaks
    every such construct but GFM's literal autolinks (`https://…`, `www.…`, `a@b.c`, linked after the
    escapes are undone): an invisible word joiner goes before each of those. Line breaks are kept as
    Markdown line breaks; control characters go.
    Use it for every user-supplied value that reaches `st.markdown`, `st.caption`, `st.info`… and labels.
    """
    cleaned = "".join(ch for ch in str(text) if ch in "\n\t" or ch.isprintable())
    lines = [_MARKUP.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, line.strip())) for line in cleaned.splitlines()] or [""]
    return "  \n".join(lines)


def fmt(value: float | None, digits: int = 1, *, signed: bool = False, percent: bool = False) -> str:
    """Every number shown (app, CLI, PDF): '2.4'; '+0.3' signed; '95%' for a ratio; '–' when unscored."""
    if value is None or pd.isna(value):
        return "–"
    if percent:
        return f"{value:.0%}"
    value = round(float(value), digits) + 0.0  # + 0.0: no '-0.0'
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def level_label(level: int, names: LevelNames) -> str:
    """'Level 2 (Repeatable)'."""
    return f"Level {level} ({names.levels[level].name})"


def option_name(choice: str, names: LevelNames) -> str:
    """A level option as the pickers show it: '2 · Repeatable'; 'N/A' for "na"."""
    return "N/A" if choice == "na" else f"{choice} · {names.levels[int(choice)].name}"


def answer_text(question: Question, answer: Answer | None, names: LevelNames) -> dict[str, Any]:
    """How an answer reads in a list of answers: its state (level, na, missing), label and level description."""
    if answer is None or not answer.counts:
        return {"state": "missing", "level": None, "label": "Not answered", "description": ""}
    if answer.na:
        return {"state": "na", "level": None, "label": "N/A — does not apply", "description": ""}
    return {"state": "level", "level": answer.level, "label": level_label(answer.level, names),
            "description": question.levels[answer.level]}


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 question', '3 questions'; `many` for irregular plurals."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


# --- which assessments a view picks -------------------------------------------------------------


def latest_per_department(assessments: Sequence[AssessmentDetails]) -> list[int]:
    """The id of each department's most recent assessment (by date, then id), departments in first-seen
    order of that sort: the default selection of a comparison."""
    latest: dict[str, int] = {}
    for a in sorted(assessments, key=lambda a: (a.assessed_on, a.id)):
        latest[a.department] = a.id
    return list(latest.values())


def trend_departments(assessments: Sequence[AssessmentDetails]) -> list[str]:
    """Departments assessed at least twice (a trend needs two dates), sorted by name."""
    seen: dict[str, int] = {}
    for a in assessments:
        seen[a.department] = seen.get(a.department, 0) + 1
    return sorted(d for d, n in seen.items() if n > 1)


def department_assessments(assessments: Sequence[AssessmentDetails], department: str) -> tuple[str, list[int]]:
    """The department's name as stored (matched ignoring case) and its assessment ids.

    ValueError names the known departments when none matches.
    """
    wanted = department.strip().casefold()
    found = [a for a in assessments if a.department.casefold() == wanted]
    if not found:
        known = sorted({a.department for a in assessments})
        raise ValueError(f"no assessment for department {department!r}"
                         + (f"; departments: {', '.join(known)}" if known else "; the database is empty"))
    return found[0].department, [a.id for a in found]
