"""`choice_label` says what Django's get_FOO_display() says, in the active language."""

from __future__ import annotations

import pytest
from django.utils import translation

from luoshi.core.models import choice_label
from luoshi.investment.models import StageMove
from luoshi.worklist.models import Escalation, Item, ItemState


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_the_display_values(language: str) -> None:
    records = [
        *(("state", Item(state=state)) for state in ItemState.values),
        *(("level", Escalation(level=level)) for level in Escalation.Level.values),  # integer choices
        *(("kind", StageMove(kind=kind)) for kind in ("move", "lost", "revive")),  # choices given inline
        ("state", Item(state="no-such-state")),  # not a choice: the value itself
    ]
    with translation.override(language):
        for name, record in records:
            assert choice_label(record, name) == str(getattr(record, f"get_{name}_display")())
        assert choice_label(Item(state=ItemState.CLOSED), "state") == str(ItemState.CLOSED.label)
    with translation.override("zh-hans"):
        assert choice_label(Item(state=ItemState.CLOSED), "state") == "已销号"
