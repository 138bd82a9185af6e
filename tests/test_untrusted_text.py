"""Untrusted text is text everywhere (issue 15, item 4): hostile assessment and department names, notes,
evidence links and an uploaded questionnaire's layer, dimension and question texts (tests/hostile.py) pass
through every page with no exception, and no element shows them as Markdown or chart markup.

Every string of every element is checked, so a new element that shows a name must be classified here:
Streamlit renders Markdown in bodies, labels, tooltips, tab and expander labels and the options of radios,
segmented controls and pills; selectbox and multiselect options, text inputs, data frames and components
show text. What only a browser does (fetching an image, following a link) is test_browser_untrusted.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from apptest import (
    ASSESSMENTS,
    COMPARE,
    DATA_PAGE,
    QUESTIONNAIRE,
    REPORT,
    RESULTS,
    ROADMAP,
    SCOPE,
    WORKSHOP,
    app,
    by_label,
    click,
    run,
    session,
)
from hostile import MARK, chart_markup, corpus, markdown_markup, populate, questionnaire, questionnaire_text
from streamlit.testing.v1 import AppTest

from assessment import charts, exchange
from assessment.report import comparison_context, trend_context
from assessment.storage import Store

pytestmark = pytest.mark.usefixtures("app_env")

H = corpus("http://127.0.0.1:9")  # AppTest fetches nothing: any address will do
# Element fields that show a string as text, not Markdown (Streamlit's docstrings: selectbox and
# multiselect options are "cast to str", where radio and button-group options "can include markdown").
TEXT_FIELDS = {
    "Selectbox.options", "Selectbox.raw_value", "MultiSelect.options", "MultiSelect.raw_values",
    "TextInput.default", "TextInput.value", "TextArea.default", "TextArea.value",
    "ButtonGroup.raw_values",  # the chosen option's value; its label is Option.content
    "BidiComponent.json",  # the level cards: level_cards.js puts every text in through textContent
    "Dataframe.columns", "Arrow.columns", "Code.code_text",
    "Table.alt",  # the table's accessible name (st.table's docstring: "for screen readers"), an attribute
}
CHART = "PlotlyChart.spec"


def strings(message: Any) -> Iterator[tuple[str, str]]:
    """('Message.field', value) for every string in a protobuf message, nested messages included."""
    for field, value in message.ListFields():
        for v in (value if field.is_repeated else [value]):
            if isinstance(v, str):
                yield f"{message.DESCRIPTOR.name}.{field.name}", v
            elif hasattr(v, "ListFields"):
                yield from strings(v)


def chart_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from chart_strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from chart_strings(v)


def shown(at: AppTest) -> Iterator[tuple[str, str]]:
    """Every string of every element and block on the page (sidebar included), as ('Message.field', value)."""
    def walk(node: Any) -> Iterator[Any]:
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            yield from strings(proto)


def assert_text_only(at: AppTest) -> int:
    """No exception, and every hostile value on the page is escaped; returns how many places show one."""
    assert not at.exception, [e.value for e in at.exception]
    places = 0
    for where, value in shown(at):
        if where == CHART:
            for text in chart_strings(json.loads(value)):
                if MARK in text:
                    places += 1
                    assert not chart_markup(text), f"chart text shown as markup: {text[:300]!r}"
        elif MARK in value:
            places += 1
            assert where in TEXT_FIELDS or not markdown_markup(value), \
                f"{where} renders Markdown: {value[:300]!r}"
    return places


@pytest.fixture
def hostile_ids(app_store: Store) -> list[int]:
    """Three assessments full of hostile text: two dates of one department, and a second department."""
    return populate(app_store, H)


@pytest.mark.parametrize("path", [ASSESSMENTS, SCOPE, QUESTIONNAIRE, WORKSHOP, RESULTS, ROADMAP, COMPARE, REPORT,
                                  DATA_PAGE])
def test_every_page_shows_hostile_text_as_text(hostile_ids: list[int], path: str) -> None:
    at = app(hostile_ids[0], path)
    assert assert_text_only(at) > 0  # the page does show hostile values


def test_every_questionnaire_step_and_presentation_mode(hostile_ids: list[int]) -> None:
    at = app(hostile_ids[0], QUESTIONNAIRE)
    steps = 1
    while any(b.label == "Next →" for b in at.button):
        assert_text_only(click(at, "Next →"))
        steps += 1
    assert steps == 6  # 3 dimensions × 2 layers, each with a hostile name in the captions and tooltips
    at.sidebar.toggle[0].set_value(True)
    assert assert_text_only(run(at)) > 0


def test_compare_over_time_and_a_department_with_one_assessment(hostile_ids: list[int]) -> None:
    at = app(hostile_ids[0], COMPARE)
    at.button_group[0].set_value("Over time")
    run(at)
    by_label(at.selectbox, "Department").set_value(H.markdown)  # assessed twice: the trend chart
    assert assert_text_only(run(at)) > 0
    by_label(at.selectbox, "Department").set_value(H.plotly)  # assessed once: a message naming it
    assert assert_text_only(run(at)) > 0
    assert any(MARK in i.value for i in at.info)


def test_scope_upload_of_a_hostile_questionnaire(hostile_ids: list[int]) -> None:
    text = questionnaire_text(H)
    at = app(hostile_ids[0], SCOPE)
    by_label(at.get("file_uploader"), "Questionnaire YAML").set_value(
        ("Ev1lMark [f](http:x) :red[y].yaml", text.encode(), "application/yaml"))
    run(at)
    assert any("Loaded" in s.value for s in at.success), [e.value for e in at.error]
    assert assert_text_only(at) > 0
    assert any(MARK in layer for layer in by_label(at.multiselect, "Layers to assess").options)  # offered


def test_data_page_import_of_a_hostile_file(app_store: Store, hostile_ids: list[int]) -> None:
    aid = hostile_ids[1]
    exported = exchange.export_as("json", app_store.get_assessment(aid), app_store.answers(aid),
                                  app_store.targets(aid), app_store.history(aid))
    at = app(None, DATA_PAGE)
    by_label(at.get("file_uploader"), "Assessment file").set_value(
        ("Ev1lMark ![f](http:x).json", exported, "application/json"))
    run(at)
    assert any("is valid" in s.value for s in at.success), [e.value for e in at.error]
    assert assert_text_only(at) > 0
    assert assert_text_only(click(at, "Import as a new assessment")) > 0


def test_a_hostile_assessment_id_in_the_url_is_named_as_text() -> None:
    at = session()
    at.query_params["assessment"] = H.markdown
    run(at)
    assert any("does not exist" in w.value for w in at.warning)
    assert assert_text_only(at) > 0


def test_a_hostile_facilitator_name_in_the_sidebar(app_store: Store, hostile_ids: list[int]) -> None:
    name = H.markdown[:100]
    app_store.add_user(name, "correct horse battery")
    at = session()
    at.session_state["login-token"] = app_store.start_login_session(name)  # shared.TOKEN_KEY
    run(at)
    assert assert_text_only(at) > 0


# --- charts: the builders escape every text they are given, once ---


def test_every_chart_builder_escapes_every_text() -> None:
    names = [H.markdown, H.plotly, H.long]
    figures = [
        charts.radar(names, {H.plotly: [1, 2, None], H.markdown: [2, 3, 1]}, target=[3, 3, 3], title=H.html,
                     colours={H.plotly: "#123456"}),
        charts.heatmap([H.html, H.markdown], names, [[1, 2, None], [3, 4, 0]], title=H.html),
        charts.gap_bars(names, [1, None, 2], [3, 3, 3], title=H.html),
        charts.vote_distribution({"distribution": {"0": 1, "na": 2}, "labels": {"0": H.html, "na": H.markdown},
                                  "median": 0}, title=H.html),
        charts.roadmap_timeline([{"phase": "now", "label": H.html, "hover": H.full}], title=H.html),
        charts.trend_lines([H.html, H.markdown], {H.html: [1, 2], H.markdown: [2, None]}, title=H.html),
    ]
    for fig in figures:
        texts = [t for t in chart_strings(fig.to_plotly_json()) if MARK in t]
        assert texts
        for text in texts:
            assert not chart_markup(text), text[:300]
            assert "&amp;" not in text  # escaped once
    radar = figures[0]
    assert radar.data[1].line.color == "#123456"  # colours are keyed by the names as given
    assert radar.data[1].name == charts.text_label(H.plotly)
    assert "<br>" in figures[4].data[0].hovertext[0]  # the hover text's lines, escaped one by one


def test_ordinary_names_are_unchanged_in_charts() -> None:
    fig = charts.radar(["Governance & compliance", "Cost"], {"Data Science Platform": [1, 2]}, title="Q4 · 2026")
    assert list(fig.data[0].theta) == ["Governance &amp; compliance", "Cost", "Governance &amp; compliance"]
    assert fig.data[0].name == "Data Science Platform" and fig.layout.title.text == "Q4 · 2026"


def test_report_charts_are_escaped_once(app_store: Store, hostile_ids: list[int]) -> None:
    """The PDF's contexts hand names to the builders as they are: no '&amp;lt;' in a printed chart."""
    entries = app_store.load_many(hostile_ids)
    for context in (comparison_context([entries[0], entries[2]]), trend_context(entries[:2])):
        for fig in context["figures"].values():
            texts = [t for t in chart_strings(fig.to_plotly_json()) if MARK in t]
            assert texts and not any(chart_markup(t) or "&amp;" in t for t in texts)


def test_the_questionnaire_loader_keeps_hostile_texts_as_typed() -> None:
    """Content is not restricted: texts are escaped where they are shown, never refused or altered."""
    q = questionnaire(H)
    assert [x.name for x in q.layers] == [H.markdown, H.plotly]
    assert q.dimensions[2].name == H.long and q.questions[0].text == f"{H.full}\nquestion 1"
