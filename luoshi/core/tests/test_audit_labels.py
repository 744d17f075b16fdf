"""Audit rows are shown in words: action codes, field names and choice values in the reader's language."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.utils import timezone, translation

from luoshi.core.models import AuditRecord
from luoshi.core.templatetags.audit_labels import action_label, field_label, field_value
from luoshi.org.models import Unit


def unit_record(action: str, before: dict[str, object], after: dict[str, object]) -> AuditRecord:
    return AuditRecord(
        at=timezone.now(),
        content_type=ContentType.objects.get_for_model(Unit),
        object_id="1",
        object_repr="党政办公室",
        action=action,
        before=before,
        after=after,
    )


def test_action_codes_read_as_words_and_unknown_codes_stay_as_they_are() -> None:
    with translation.override("zh-hans"):
        assert action_label("create") == "新建"
        assert action_label("close_out_approve") == "核验销号"
        assert action_label("something_new") == "something_new"
    with translation.override("en"):
        assert action_label("create") == "Created"


@pytest.mark.django_db
def test_fields_read_by_their_verbose_name_and_values_by_their_label() -> None:
    record = unit_record("update", {"kind": "committee"}, {"kind": "department"})
    with translation.override("zh-hans"):
        assert field_label(record, "kind") == "类型"
        assert field_label(record, "no_longer_a_field") == "no_longer_a_field"
        assert field_value(record, "kind", "department") == "区直部门"
        assert str(field_value(record, "is_active", False)) == "否"
        assert field_value(record, "name", "党政办公室") == "党政办公室"
        assert field_value(record, "kind", None) is None


@pytest.mark.django_db
def test_history_table_shows_words() -> None:
    record = unit_record(
        "update", {"kind": "committee", "is_active": True}, {"kind": "department", "is_active": False}
    )
    with translation.override("zh-hans"):
        html = render_to_string("core/partials/history.html", {"history": [record]})
    assert "修改" in html and ">update<" not in html
    assert "类型" in html and "管委会" in html and "区直部门" in html
    assert "有效" in html and ">是<" in html and ">否<" in html
