"""The working-day calendar across the 2026 Spring Festival and National Day, overrides and unknown years."""

from __future__ import annotations

import warnings
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from luoshi.conftest import SmallOrg
from luoshi.core import calendar as workcal
from luoshi.core.checks import calendar_years_known
from luoshi.core.models import AuditRecord, CalendarDay
from luoshi.core.services import calendar_day_delete, calendar_day_set, calendar_year_declare

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_calendar() -> None:
    workcal.invalidate()
    workcal._gaps_seen.clear()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 14), True),  # make-up Saturday (调休)
        (date(2026, 2, 15), False),  # Sunday, holiday begins
        (date(2026, 2, 16), False),  # Monday inside the holiday
        (date(2026, 2, 23), False),  # last day of the holiday, a Monday
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # make-up Saturday after the festival
        (date(2026, 9, 20), True),  # make-up Sunday before National Day
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # make-up Saturday after National Day
        (date(2026, 10, 11), False),  # ordinary Sunday
    ],
)
def test_is_working_day_2026(day: date, working: bool) -> None:
    assert workcal.is_working_day(day) is working


def test_add_working_days_across_spring_festival() -> None:
    assert workcal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # the make-up Saturday counts
    assert workcal.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert workcal.add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    # Backwards from the first day after the festival.
    assert workcal.add_working_days(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert workcal.add_working_days(date(2026, 2, 24), -2) == date(2026, 2, 13)
    assert workcal.add_working_days(date(2026, 2, 24), 0) == date(2026, 2, 24)


def test_add_working_days_across_national_day() -> None:
    assert workcal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert workcal.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # Saturday make-up day
    assert workcal.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert workcal.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Friday → make-up Sunday


def test_working_days_between() -> None:
    assert workcal.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert workcal.working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == -3
    assert workcal.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 2
    assert workcal.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    start = datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI)
    assert workcal.working_days_between(start, datetime(2026, 10, 8, 1, 0, tzinfo=SHANGHAI)) == 1


def test_end_of_working_day() -> None:
    # A Friday-evening arrival is due by midnight that Friday.
    friday = datetime(2026, 3, 6, 20, 15, tzinfo=SHANGHAI)
    assert workcal.end_of_working_day(friday) == datetime(2026, 3, 7, 0, 0, tzinfo=SHANGHAI)
    # An arrival inside National Day is due by the end of the first working day after it.
    holiday = datetime(2026, 10, 3, 10, 0, tzinfo=SHANGHAI)
    assert workcal.end_of_working_day(holiday) == datetime(2026, 10, 9, 0, 0, tzinfo=SHANGHAI)
    # A make-up Saturday is a working day.
    assert workcal.end_of_working_day(datetime(2026, 2, 14, 9, tzinfo=SHANGHAI)) == datetime(
        2026, 2, 15, 0, 0, tzinfo=SHANGHAI
    )


def test_override_adds_a_holiday_and_a_make_up_day(org: SmallOrg) -> None:
    assert workcal.is_working_day(date(2026, 12, 31))
    calendar_day_set(actor=org.supervisor, date=date(2026, 12, 31), is_working_day=False, name="园区停电检修")
    calendar_day_set(actor=org.supervisor, date=date(2026, 12, 27), is_working_day=True, name="调休")
    workcal.invalidate()  # on_commit does this in production; tests run inside one transaction
    assert not workcal.is_working_day(date(2026, 12, 31))
    assert workcal.is_working_day(date(2026, 12, 27))  # a Sunday made a working day
    assert AuditRecord.objects.filter(action="create", content_type__model="calendarday").count() == 2

    # Overriding a day the package knows (a National Day holiday) wins over the package.
    calendar_day_set(actor=org.supervisor, date=date(2026, 10, 5), is_working_day=True, name="应急值守")
    workcal.invalidate()
    assert workcal.is_working_day(date(2026, 10, 5))
    calendar_day_delete(actor=org.supervisor, day=CalendarDay.objects.get(date=date(2026, 10, 5)))
    workcal.invalidate()
    assert not workcal.is_working_day(date(2026, 10, 5))


def test_only_the_supervision_office_edits_the_calendar(org: SmallOrg) -> None:
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=org.staff, date=date(2026, 12, 31), is_working_day=False, name="x")
    assert not CalendarDay.objects.exists()


def test_a_holiday_needs_a_name(org: SmallOrg) -> None:
    with pytest.raises(ValidationError) as excinfo:
        calendar_day_set(actor=org.supervisor, date=date(2026, 12, 31), is_working_day=False, name=" ")
    assert "name" in excinfo.value.message_dict
    assert not CalendarDay.objects.exists()


def test_unknown_year_warns_and_is_reported(org: SmallOrg) -> None:
    year = max(workcal.PACKAGE_YEARS) + 1
    with pytest.warns(workcal.UnknownCalendarYear, match=str(year)):
        assert workcal.is_working_day(date(year, 3, 1)) is (date(year, 3, 1).weekday() < 5)
    with time_machine.travel(datetime(year - 1, 6, 1, tzinfo=SHANGHAI), tick=False):
        assert year in workcal.unknown_years()
        messages = calendar_years_known()
        assert [m.id for m in messages] == ["luoshi.W001"]
        assert str(year) in messages[0].msg

    calendar_year_declare(actor=org.supervisor, year=year, source="国务院办公厅通知")
    workcal.invalidate()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        workcal.is_working_day(date(year, 3, 1))  # no warning any more
    with time_machine.travel(datetime(year - 1, 6, 1, tzinfo=SHANGHAI), tick=False):
        assert workcal.unknown_years() == []
        assert calendar_years_known() == []


def test_the_coming_year_is_checked_near_the_end_of_the_year() -> None:
    last = max(workcal.PACKAGE_YEARS)
    with time_machine.travel(datetime(last, 6, 1, tzinfo=SHANGHAI), tick=False):
        assert workcal.unknown_years() == []
    with time_machine.travel(datetime(last, 12, 1, tzinfo=SHANGHAI), tick=False):
        assert workcal.unknown_years() == [last + 1]


def test_calendar_page_shows_the_warning_and_saves_an_override(org: SmallOrg) -> None:
    from luoshi.conftest import client_for

    last = max(workcal.PACKAGE_YEARS)
    with time_machine.travel(datetime(last, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        client = client_for(org.supervisor)
        page = client.get("/calendar/")
        assert page.status_code == 200
        assert 'data-testid="calendar-warning"' in page.content.decode()
        response = client.post(
            "/calendar/", {"day-date": f"{last + 1}-01-01", "day-is_working_day": "0", "day-name": "元旦"}
        )
        assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(last + 1, 1, 1)).name == "元旦"
    # Staff may read the calendar but not change it.
    staff = client_for(org.staff)
    assert staff.get("/calendar/").status_code == 200
    assert (
        staff.post(
            "/calendar/", {"day-date": "2026-12-30", "day-is_working_day": "0", "day-name": "x"}
        ).status_code
        == 403
    )
    assert client_for(org.enterprise).get("/calendar/").status_code == 404
