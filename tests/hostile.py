"""Hostile strings for the untrusted-text tests: every Markdown, HTML and Plotly-markup construct that would
fetch a URL, make a link, colour or typeset, put where the app shows names, notes and questionnaire texts.

`url` is where a fetch would go: the browser test's loopback listener (AppTest fetches nothing, so any URL
does there). Every string starts with MARK, so a test finds each place a hostile value is shown.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from assessment.questionnaire import Questionnaire, parse_questionnaire
from assessment.storage import Store

MARK = "Ev1lMark"
DATA = Path(__file__).resolve().parent / "data"
# A hostile construct still live in Markdown: plain() backslash-escapes every ASCII punctuation character
# (so `http://` and `www.` lose their `:` `/` `.`) and drops control and format characters.
_MARKDOWN = re.compile(r"(?<!\\)(?:!\[|\]\(|<[A-Za-z/]|:red\[|\$x)|https?://|www\.|\u202e")
# A tag still live in a chart text: text_label writes < as &lt;; the builders' own <br> and <extra> stay.
_TAG = re.compile(r"<(?!br>|extra>|/extra>)[A-Za-z/]")


@dataclass(frozen=True)
class Hostile:
    """Hostile values, each short enough for a name column (200 characters), but `long` and `full`."""

    markdown: str  # an image, a link, an autolink, a www. link, colour, a formula
    html: str  # an <img> and a <style>
    plotly: str  # Plotly's label markup: <a href>, <b> and an inline-styled <span>
    rtl: str  # a right-to-left override
    long: str  # a very long string
    full: str  # all of them, on several lines

    @property
    def names(self) -> tuple[str, ...]:
        return (self.markdown, self.html, self.plotly, self.rtl)


def corpus(url: str) -> Hostile:
    markdown = (f"{MARK} md ![i]({url}/md-image.png) [link]({url}/md-link) <{url}/autolink> www.evil.example "
                ":red[x] $x$")
    html = f'{MARK} html <img src="{url}/html-img.png"> <style>*{{background:url({url}/style.png)}}</style>'
    plotly = (f'{MARK} plotly <a href="{url}/plotly-a">a</a> <b>b</b> '
              f'<span style="background:url({url}/span.png)">s</span>')
    rtl = f"{MARK} rtl \u202eevil-reversed"
    long = f"{MARK} long " + "very " * 300 + "end"
    return Hostile(markdown, html, plotly, rtl, long, "\n".join([markdown, html, plotly, rtl, long, "last line"]))


def markdown_markup(text: str) -> list[str]:
    """The hostile constructs a Markdown text still holds (none when every value in it was escaped)."""
    return _MARKDOWN.findall(text)


def chart_markup(text: str) -> list[str]:
    """The tags a Plotly text still holds, other than the builders' own line breaks."""
    return _TAG.findall(text)


def questionnaire_text(h: Hostile) -> str:
    """tests/data/mini.yaml with hostile layer, dimension and question texts, as a file to upload (JSON is YAML)."""
    data = YAML(typ="safe").load(DATA / "mini.yaml")
    data.update(id="hostile", title=h.markdown)
    data["layers"][0]["name"], data["layers"][1]["name"] = h.markdown, h.plotly
    data["layers"][0]["description"] = h.full
    for dim, name in zip(data["dimensions"], [h.html, h.plotly, h.long], strict=True):
        dim.update(name=name, description=h.full)
    for i, question in enumerate(data["questions"]):
        question.update(text=f"{h.full}\nquestion {i + 1}", evidence=h.html)
        question["levels"][1] = h.markdown
        question["recommendations"] = [h.markdown, h.html, h.plotly, h.full]
    return json.dumps(data)


def questionnaire(h: Hostile) -> Questionnaire:
    return parse_questionnaire(questionnaire_text(h), "hostile.yaml")


def populate(store: Store, h: Hostile) -> list[int]:
    """Three assessments on the hostile questionnaire: two dates of one hostile department (a trend, first
    in the Compare page's list) and a second hostile department (a comparison), every answer with a hostile
    note and evidence link."""
    q = questionnaire(h)
    on = dt.date(2026, 1, 15)
    ids = [
        store.create_assessment(h.markdown, h.markdown, q, organisation=h.rtl, facilitator=h.html,
                                assessed_on=on),
        store.create_assessment(h.html, h.markdown, q, organisation=h.rtl, facilitator=h.plotly,
                                assessed_on=on + dt.timedelta(days=90)),
        store.create_assessment(h.plotly, h.plotly, q, organisation=h.rtl, facilitator=h.rtl, assessed_on=on),
    ]
    for n, aid in enumerate(ids):
        for i, question in enumerate(q.questions):
            if i == len(q.questions) - 1:
                continue  # one unanswered question: the coverage warnings show
            store.save_answer(aid, question.id, level=(i + n) % 3, na=False, note=h.full,
                              evidence_url=h.markdown, answered_by=h.rtl)
    return ids
