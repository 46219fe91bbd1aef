"""Recurring duties: windows in local time (across midnight too), laying out a day, records
done and late, the sweep that finds missed windows exactly once, and compliance counts."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation

from shoumen.core.authz import NotAllowed
from shoumen.core.schedule import Job
from shoumen.duties import services
from shoumen.duties.models import Duty, Window, WindowState
from shoumen.duties.schedules import Frequency, parse_windows, windows_on
from tests import factories

DAY = date(2026, 3, 2)
THREE_A_DAY = [["08:00", "10:00"], ["13:00", "15:00"], ["18:00", "20:00"]]


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


def duty(world, *, frequency=Frequency.WINDOWS, windows=THREE_A_DAY, starts_on=DAY, **extra):
    with time_machine.travel(at(starts_on, 0, 1), tick=False):
        return services.create_duty(actor=world.worker_a, jurisdiction=world.community_a,
                                    title="电梯轿厢消毒", kind="disinfection", frequency=frequency,
                                    windows=windows, starts_on=starts_on,
                                    owner=world.worker_a, leader=world.commander, **extra)


# --- schedules ----------------------------------------------------------------------------------

def test_windows_of_a_day_in_local_time():
    got = windows_on(DAY, frequency=Frequency.WINDOWS, windows=THREE_A_DAY, starts_on=DAY)
    assert got == [(at(DAY, 8), at(DAY, 10)), (at(DAY, 13), at(DAY, 15)), (at(DAY, 18), at(DAY, 20))]
    assert got[0][0].astimezone(UTC).hour == 0  # 08:00 in Shanghai is 00:00 UTC


def test_a_window_past_midnight_ends_the_next_day_and_belongs_to_the_day_it_starts():
    got = windows_on(DAY, frequency=Frequency.WINDOWS, windows=[["22:00", "02:00"]], starts_on=DAY)
    assert got == [(at(DAY, 22), at(DAY + timedelta(days=1), 2))]


@pytest.mark.parametrize("frequency,interval,days_with_a_window", [
    (Frequency.DAILY, 1, [0, 1, 2, 3, 4, 5, 6, 7]),
    (Frequency.WEEKLY, 1, [0, 7]),
    (Frequency.EVERY_K_DAYS, 3, [0, 3, 6]),
])
def test_daily_weekly_and_every_k_days(frequency, interval, days_with_a_window):
    found = [offset for offset in range(8)
             if windows_on(DAY + timedelta(days=offset), frequency=frequency,
                           interval_days=interval, starts_on=DAY)]
    assert found == days_with_a_window
    (start, end), = windows_on(DAY, frequency=frequency, interval_days=interval, starts_on=DAY)
    length = {Frequency.DAILY: 1, Frequency.WEEKLY: 7}.get(frequency, interval)
    assert start == at(DAY, 0) and end == at(DAY + timedelta(days=length), 0)


def test_a_period_such_as_14_days_has_no_window_outside_it():
    ends = DAY + timedelta(days=13)
    assert windows_on(DAY - timedelta(days=1), frequency=Frequency.DAILY, starts_on=DAY, ends_on=ends) == []
    assert windows_on(ends, frequency=Frequency.DAILY, starts_on=DAY, ends_on=ends)
    assert windows_on(ends + timedelta(days=1), frequency=Frequency.DAILY, starts_on=DAY,
                      ends_on=ends) == []
    # a weekly window is cut at the period's end
    (_start, end), = windows_on(ends - timedelta(days=6), frequency=Frequency.WEEKLY,
                                starts_on=ends - timedelta(days=6), ends_on=ends)
    assert end == at(ends + timedelta(days=1), 0)


@pytest.mark.parametrize("windows,message", [
    ([], "at least one window"), ([["8", "x"]], "Window 1 is not two times"),
    ([["08:00", "08:00"]], "give it a length"),
    ([["08:00", "10:00"], ["09:30", "11:00"]], "overlap"),
    ([["22:00", "02:00"], ["01:00", "03:00"]], "overlap"),  # across midnight
])
def test_windows_that_cannot_work_are_refused_with_the_reason(windows, message):
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        parse_windows(windows)


# --- creating and laying out ---------------------------------------------------------------------

def test_create_duty_checks_the_schedule_and_the_right(world):
    with pytest.raises(ValidationError) as exc:
        services.create_duty(actor=world.worker_a, jurisdiction=world.community_a, title=" ",
                             kind="patrol", frequency=Frequency.WINDOWS, windows=[["9", "8:00"]],
                             starts_on=DAY, ends_on=DAY - timedelta(days=1))
    assert set(exc.value.message_dict) == {"title", "windows", "ends_on"}
    with pytest.raises(ValidationError) as exc:  # a manager elsewhere: a wrong choice
        services.create_duty(actor=world.worker_b, jurisdiction=world.community_a, title="巡查",
                             kind="patrol", frequency=Frequency.DAILY, starts_on=DAY)
    assert "甲社区" in exc.value.message_dict["jurisdiction"][0]
    with pytest.raises(NotAllowed):
        services.create_duty(actor=world.volunteer, jurisdiction=world.community_a, title="巡查",
                             kind="patrol", frequency=Frequency.DAILY, starts_on=DAY)
    assert not Duty.objects.exists() and not Window.objects.exists()


def test_a_duty_set_up_at_noon_is_not_missed_for_the_morning(world):
    with time_machine.travel(at(DAY, 12), tick=False):
        d = services.create_duty(actor=world.worker_a, jurisdiction=world.community_a,
                                 title="大堂消毒", kind="disinfection", frequency=Frequency.WINDOWS,
                                 windows=THREE_A_DAY, starts_on=DAY)
    assert [w.starts_at for w in d.duty_windows.filter(day=DAY)] == [at(DAY, 13), at(DAY, 18)]
    assert d.duty_windows.filter(day=DAY + timedelta(days=1)).count() == 3  # tomorrow's too
    services.lay_out(DAY)  # the morning task caught up after a restart: still not 08:00–10:00
    assert d.duty_windows.filter(day=DAY).count() == 2
    assert services.sweep(now=at(DAY, 12, 30)) == []


def test_laying_out_a_day_is_idempotent_and_keeps_what_was_done(world):
    d = duty(world)
    assert services.lay_out(DAY) == 3
    window = Window.objects.get(duty=d, starts_at=at(DAY, 8))
    services.mark_done(d, at=at(DAY, 9), record=d, recorded_at=at(DAY, 9))
    assert services.lay_out(DAY) == 3 and Window.objects.filter(duty=d, day=DAY).count() == 3
    window.refresh_from_db()
    assert window.state == WindowState.DONE
    services.lay_out(DAY + timedelta(days=2))
    assert Window.objects.filter(duty=d).count() == 9


# --- records ---------------------------------------------------------------------------------------

def test_a_record_in_its_window_is_done_after_it_late_between_windows_for_the_one_before(world):
    d = duty(world)
    services.lay_out(DAY)
    first = services.mark_done(d, at=at(DAY, 9), record=d, recorded_at=at(DAY, 9))
    assert (first.starts_at, first.state) == (at(DAY, 8), WindowState.DONE)
    late = services.mark_done(d, at=at(DAY, 16), record=d, recorded_at=at(DAY, 16))
    assert (late.starts_at, late.state) == (at(DAY, 13), WindowState.LATE)
    again = services.mark_done(d, at=at(DAY, 9, 30), record=d, recorded_at=at(DAY, 9, 30))
    assert again.pk == first.pk and again.state == WindowState.DONE  # the first record counts


def test_a_record_entered_after_the_window_counts_as_late_even_if_done_in_it(world):
    d = duty(world)
    services.lay_out(DAY)
    window = services.mark_done(d, at=at(DAY, 9, 30), record=d, recorded_at=at(DAY, 11))
    assert window.state == WindowState.LATE and window.done_at == at(DAY, 9, 30)


def test_a_late_record_after_the_sweep_turns_missed_into_late(world):
    d = duty(world)
    services.lay_out(DAY)
    missed = services.sweep(now=at(DAY, 10, 1))
    assert len(missed) == 1
    window = services.mark_done(d, at=at(DAY, 10, 30), record=d, recorded_at=at(DAY, 10, 30))
    assert window.pk == missed[0] and window.state == WindowState.LATE
    assert window.missed_at is not None  # the alert stays in the history


def test_a_record_outside_the_period_fulfils_nothing(world):
    d = duty(world, frequency=Frequency.DAILY, windows=[], ends_on=DAY + timedelta(days=13))
    assert services.mark_done(d, at=at(DAY - timedelta(days=1), 9), record=d) is None
    # the window of a day nobody laid out is laid out when its record comes
    later = DAY + timedelta(days=5)
    window = services.mark_done(d, at=at(later, 9), record=d, recorded_at=at(later, 9))
    assert window.day == later and window.state == WindowState.DONE


@pytest.mark.parametrize("clock", [(23, 30), (0, 30)])
def test_across_midnight_a_window_counts_for_the_day_it_started(world, clock):
    d = duty(world, windows=[["23:00", "01:00"]])
    services.lay_out(DAY)
    hour, minute = clock
    when = at(DAY if hour == 23 else DAY + timedelta(days=1), hour, minute)
    with time_machine.travel(when, tick=False):
        window = services.mark_done(d, at=timezone.now(), record=d)
        assert (window.day, window.state) == (DAY, WindowState.DONE)
        assert services.counts(Window.objects.filter(day=DAY))["done"] == 1
        assert services.counts(Window.objects.filter(day=DAY + timedelta(days=1),
                                                     done_at__isnull=False))["total"] == 0


# --- the sweep -------------------------------------------------------------------------------------

def test_the_sweep_marks_each_missed_window_once(world):
    d = duty(world)
    services.lay_out(DAY)
    services.mark_done(d, at=at(DAY, 9), record=d, recorded_at=at(DAY, 9))
    assert services.sweep(now=at(DAY, 9, 59)) == []
    first = services.sweep(now=at(DAY, 15))
    assert Window.objects.get(pk__in=first).starts_at == at(DAY, 13)
    assert services.sweep(now=at(DAY, 15)) == []  # run again: nothing new
    assert len(services.sweep(now=at(DAY, 20))) == 1
    alerts = list(services.missed_alerts(world.commander))
    assert [w.starts_at for w in alerts] == [at(DAY, 18), at(DAY, 13)]
    assert list(services.missed_alerts(world.worker_a)) == alerts
    assert list(services.missed_alerts(world.worker_b)) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's in-memory test database "
                    "refuses a second writer at once instead of waiting; one sweep runs there")
def test_two_sweeps_at_once_raise_each_alert_exactly_once():
    world = factories.World()
    d = duty(world)
    for offset in range(20):
        services.lay_out(DAY + timedelta(days=offset), duties=[d])
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        try:
            start.wait()
            results.append(services.sweep(now=at(DAY + timedelta(days=30), 0)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    found = results[0] + results[1]
    assert len(found) == len(set(found)) == 60
    assert Window.objects.filter(state=WindowState.MISSED, missed_at__isnull=False).count() == 60


# --- compliance ------------------------------------------------------------------------------------

def test_counts_show_due_done_late_missed_and_open(world):
    d = duty(world)
    services.lay_out(DAY)
    services.mark_done(d, at=at(DAY, 9), record=d, recorded_at=at(DAY, 9))
    services.mark_done(d, at=at(DAY, 16), record=d, recorded_at=at(DAY, 16))
    c = services.counts(Window.objects.filter(duty=d, day=DAY), now=at(DAY, 17))
    assert (c["total"], c["done"], c["late"], c["missed"], c["open"], c["due"]) == (3, 1, 1, 0, 1, 2)
    assert c["rate"] == 100.0
    c = services.counts(Window.objects.filter(duty=d, day=DAY), now=at(DAY, 21))  # no sweep yet
    assert (c["missed"], c["due"], c["rate"]) == (1, 3, 66.7)
    by_day = services.counts_by_day(Window.objects.filter(duty=d), now=at(DAY, 21))
    assert by_day[DAY]["due"] == 3 and by_day[DAY]["missed"] == 1


def test_windows_are_scoped_like_their_duty(world):
    d = duty(world)
    services.lay_out(DAY)
    assert Window.objects.visible_to(world.worker_a).count() == 6  # today's and tomorrow's
    assert Window.objects.visible_to(world.worker_b).count() == 0
    assert Window.objects.visible_to(world.commander).count() == 6
    assert Duty.objects.visible_to(world.volunteer).count() == 0
    assert d in Duty.objects.visible_to(world.commander)


def test_the_scheduler_runs_a_job_every_n_minutes_from_local_midnight():
    job = Job.parse("shoumen.duties.tasks.sweep_missed_windows", "*/5")
    assert job.slot(at(DAY, 10, 7)) == at(DAY, 10, 5)
    assert job.slot(at(DAY, 0, 2)) == at(DAY, 0, 0)
    assert job.is_due(at(DAY, 10, 7), last_enqueued=at(DAY, 10, 4))
    assert not job.is_due(at(DAY, 10, 7), last_enqueued=at(DAY, 10, 5))
    with pytest.raises(ValueError):
        Job.parse("x", "*/0")


def test_a_record_just_after_midnight_fulfils_the_new_days_window_not_yesterdays(world):
    d = duty(world, frequency=Frequency.DAILY, windows=[])
    Window.objects.filter(day__gt=DAY).delete()  # the morning task has not run yet
    window = services.mark_done(d, at=at(DAY + timedelta(days=1), 0, 2), record=d,
                                recorded_at=at(DAY + timedelta(days=1), 0, 2))
    assert (window.day, window.state) == (DAY + timedelta(days=1), WindowState.DONE)
    assert Window.objects.get(duty=d, day=DAY).state == WindowState.DUE


def test_a_record_after_the_period_fulfils_nothing_late(world):
    d = duty(world, ends_on=DAY)
    services.lay_out(DAY)
    assert services.mark_done(d, at=at(DAY + timedelta(days=2), 9), record=d,
                              recorded_at=at(DAY + timedelta(days=2), 9)) is None
    assert not Window.objects.filter(duty=d).exclude(state=WindowState.DUE).exists()


def test_owner_and_leader_must_work_on_duties_where_the_duty_is(world):
    with pytest.raises(ValidationError) as exc:
        services.create_duty(actor=world.worker_a, jurisdiction=world.community_a, title="巡查",
                             kind="patrol", frequency=Frequency.DAILY, starts_on=DAY,
                             owner=world.worker_b, leader=world.volunteer)
    assert set(exc.value.message_dict) == {"owner", "leader"}


def test_the_badge_counts_what_was_found_missed_today_whatever_its_day(world):
    d = duty(world, frequency=Frequency.DAILY, windows=[])
    services.lay_out(DAY)
    with time_machine.travel(at(DAY + timedelta(days=1), 0, 10), tick=False):
        assert len(services.sweep()) == 1  # yesterday's daily window, swept after midnight
        assert services.missed_today_count(world.worker_a) == 1
        assert services.missed_today_count(world.commander) == 1
        assert services.missed_today_count(world.worker_b) == 0
    assert d.duty_windows.get(day=DAY).state == WindowState.MISSED
