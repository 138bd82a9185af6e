"""Level cards: one step's questions drawn by the browser itself (level_cards.js, level_cards.css).

One Streamlit element for all the questions on screen, instead of a radio, captions and a popover per
question: Streamlit's browser side redraws every element of a page for each message of a rerun, and a
click here reruns one fragment holding one element (benchmarks/bench_ui.py). Native radio inputs in a
radiogroup per question, so the keyboard works as it does on any form: Tab to a question, arrow keys to
a level.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

_HERE = Path(__file__).parent
EVENT = "answer"

_component = st.components.v2.component(
    "ai_ops_level_cards",
    css=(_HERE / "level_cards.css").read_text(encoding="utf-8"),
    js=(_HERE / "level_cards.js").read_text(encoding="utf-8"),
)


def level_cards(questions: list[dict[str, Any]], *, key: str, heading: str, disabled: bool, large: bool,
                on_answer: Callable[[dict[str, Any]], None]) -> None:
    """Show the cards under `heading`. `on_answer` gets what the browser sent (level_cards.js).

    Each question: {id, text, hint, value, levels: [{value, name, description}], note, evidence,
    status, warning}; every string is shown as text, never as markup.
    """

    def changed() -> None:
        payload = (st.session_state.get(key) or {}).get(EVENT)
        if isinstance(payload, dict):
            on_answer(payload)

    _component(data={"heading": heading, "questions": questions, "disabled": disabled, "large": large}, key=key,
               on_answer_change=changed)
