"""Drive the Questionnaire's level cards (assessment_app/app_pages/level_cards.py) from AppTest.

AppTest has no element class for a custom component: it sees the cards as an unknown element holding
the component's proto. These helpers read the cards' data from it and send what the browser would send
(a trigger event on the component), so AppTest covers the same callback a click in Chromium reaches.
"""

import json
from typing import Any

from streamlit.components.v2.bidi_component.main import _make_trigger_id
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

EVENT = "answer"  # assessment_app.app_pages.level_cards.EVENT


def _components(at: AppTest) -> list[Any]:
    return [c.proto for c in at.get("bidi_component") if c.proto.component_name == "ai_ops_level_cards"]


def cards(at: AppTest) -> dict[str, dict[str, Any]]:
    """Every card on the page, by question id, as the browser receives it."""
    out = {}
    for proto in _components(at):
        data = json.loads(proto.json)
        out.update({q["id"]: {**q, "disabled": data["disabled"], "large": data["large"]} for q in data["questions"]})
    return out


def heading(at: AppTest) -> str:
    """The heading above the cards: where the page is ("Alpha · Governance & compliance")."""
    [proto] = _components(at)
    return json.loads(proto.json)["heading"]


def shown(at: AppTest) -> list[str]:
    """The question ids on screen, in order."""
    return list(cards(at))


def send(at: AppTest, qid: str, **change: Any) -> AppTest:
    """What the browser sends when one field of a card changes (level=, note= or evidence=): the whole
    card as it then stands, like level_cards.js; runs the app."""
    [field] = change
    [proto] = [p for p in _components(at) if any(q["id"] == qid for q in json.loads(p.json)["questions"])]
    card = cards(at)[qid]
    event = {"qid": qid, "changed": field, "level": card["value"], "note": card["note"],
             "evidence": card["evidence"], **change}
    return _trigger(at, proto, event)


def send_raw(at: AppTest, event: Any) -> AppTest:
    """Send any event value to the one cards element on screen, as a tampered browser could; runs the app."""
    [proto] = _components(at)
    return _trigger(at, proto, event)


def _trigger(at: AppTest, proto: Any, event: Any) -> AppTest:
    states = at._tree.get_widget_states()  # noqa: SLF001 - AppTest has no public hook for components
    state = WidgetState(id=_make_trigger_id(proto.id, "events"))
    state.json_trigger_value = json.dumps([{"event": EVENT, "value": event}])
    states.widgets.append(state)
    return at._run(states)  # noqa: SLF001


def choose(at: AppTest, qid: str, level: str) -> AppTest:
    """Click a level card ("0"–"4") or N/A ("na")."""
    return send(at, qid, level=level)


def value(at: AppTest, qid: str) -> str | None:
    return cards(at)[qid]["value"]
