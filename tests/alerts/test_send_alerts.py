"""send_alerts: nothing sent twice, progress kept when interrupted, one run at a time, weekly."""

import datetime
import smtplib
import threading
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from alerts.models import SendLock, Subscription, week_start
from platforms.models import Incident, Platform

pytestmark = pytest.mark.django_db


def follower(email, frequency="immediate", since=None):
    subscription = Subscription.objects.create(email=email)
    nonce = subscription.start_confirmation()
    subscription.confirm(nonce, everything=True, platform_ids=[], frequency=frequency)
    if since is not None:
        Subscription.objects.filter(pk=subscription.pk).update(sent_through=since)
        subscription.refresh_from_db()
    return subscription


def new_incident(title, slug="zoom"):
    return Incident.objects.create(
        platform=Platform.objects.get(slug=slug), title=title, kind="privacy", status="fixed"
    )


def test_running_twice_sends_nothing_twice(seeded):
    a, b = follower("a@example.org"), follower("b@example.org")
    new_incident("First test incident")
    call_command("send_alerts", verbosity=0)
    assert sorted(m.to[0] for m in mail.outbox) == [a.email, b.email]
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 2
    new_incident("Second test incident")
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 4
    latest = [m.body for m in mail.outbox[2:]]
    assert all("Second test incident" in body and "First" not in body for body in latest)
    a.refresh_from_db()
    assert a.messages_sent == 2 and a.last_sent_at is not None


def test_an_interrupted_run_keeps_what_it_sent_and_the_next_run_sends_the_rest(seeded):
    first, second = follower("first@example.org"), follower("second@example.org")
    new_incident("Test incident during an outage")
    real_send = mail.EmailMultiAlternatives.send

    def fail_for_second(message, *args, **kwargs):
        if message.to == [second.email]:
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(message, *args, **kwargs)

    with (
        mock.patch.object(mail.EmailMultiAlternatives, "send", fail_for_second),
        pytest.raises(CommandError, match="1 message"),
    ):
        call_command("send_alerts", verbosity=0)
    assert [m.to for m in mail.outbox] == [[first.email]]
    call_command("send_alerts", verbosity=0)
    assert [m.to for m in mail.outbox] == [[first.email], [second.email]]
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 2


def test_changes_after_the_run_began_wait_for_the_next_run(seeded):
    subscription = follower("w@example.org")
    start = timezone.now()
    new_incident("Test incident after the run began")
    with mock.patch("alerts.management.commands.send_alerts.timezone.now", return_value=start):
        call_command("send_alerts", verbosity=0)
    assert mail.outbox == []
    subscription.refresh_from_db()
    assert subscription.sent_through == start
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 1


def test_weekly_subscribers_get_whole_weeks_once(seeded):
    this_week = week_start(timezone.now())
    weekly = follower("weekly@example.org", "weekly", since=this_week - datetime.timedelta(days=9))
    incident = new_incident("Test incident last week")
    Incident.history.filter(id=incident.pk).update(
        history_date=this_week - datetime.timedelta(days=2)
    )
    new_incident("Test incident this week")
    call_command("send_alerts", "--frequency", "weekly", verbosity=0)
    [digest] = mail.outbox
    assert "Test incident last week" in digest.body
    assert "Test incident this week" not in digest.body  # next week's digest
    assert "This week's changes" in digest.body
    weekly.refresh_from_db()
    assert weekly.sent_through == this_week
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 1  # not due again before next Monday


def test_a_week_without_changes_sends_nothing_and_moves_on(seeded):
    this_week = week_start(timezone.now())
    weekly = follower("quiet@example.org", "weekly", since=this_week - datetime.timedelta(days=7))
    call_command("send_alerts", verbosity=0)
    assert mail.outbox == []
    weekly.refresh_from_db()
    assert weekly.sent_through == this_week and weekly.messages_sent == 0


def test_unconfirmed_addresses_are_never_sent_to_and_expire(seeded):
    pending = Subscription.objects.create(email="pending@example.org")
    pending.start_confirmation()
    new_incident("Test incident for nobody")
    call_command("send_alerts", verbosity=0)
    assert mail.outbox == [] and Subscription.objects.filter(pk=pending.pk).exists()
    Subscription.objects.filter(pk=pending.pk).update(
        confirmation_sent_at=timezone.now() - datetime.timedelta(days=4)
    )
    call_command("send_alerts", verbosity=0)
    assert not Subscription.objects.filter(pk=pending.pk).exists()


def test_a_second_run_while_the_lock_is_held_does_nothing(seeded, capsys):
    follower("locked@example.org")
    new_incident("Test incident while locked")
    assert SendLock.acquire("send_alerts", "another-server", datetime.timedelta(minutes=10))
    call_command("send_alerts", verbosity=0)
    assert mail.outbox == []
    assert "Another send_alerts run holds the lock" in capsys.readouterr().err
    SendLock.release("send_alerts", "another-server")
    call_command("send_alerts", verbosity=0)
    assert len(mail.outbox) == 1


def test_a_lease_that_ran_out_can_be_taken_and_its_old_holder_stops(db):
    lease = datetime.timedelta(minutes=10)
    assert SendLock.acquire("job", "one", lease)
    assert not SendLock.acquire("job", "two", lease)
    SendLock.objects.filter(name="job").update(
        held_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert SendLock.acquire("job", "two", lease)
    assert not SendLock.renew("job", "one", lease)
    assert SendLock.renew("job", "two", lease)
    SendLock.release("job", "one")  # not the holder: no effect
    assert not SendLock.acquire("job", "three", lease)


def contend_for_the_lock():
    """Two connections take the lock at the same moment: the first holds its UPDATE's row
    lock in an open transaction while the second tries."""
    lease = datetime.timedelta(minutes=10)
    results, first_updated = {}, threading.Event()

    def first():
        try:
            with transaction.atomic():
                results["first"] = SendLock.acquire("job", "first", lease)
                first_updated.set()
                threading.Event().wait(0.5)  # the second is now waiting for the row
        finally:
            first_updated.set()
            connection.close()

    def second():
        try:
            first_updated.wait(5)
            results["second"] = SendLock.acquire("job", "second", lease)
        except Exception as error:  # SQLite: "database is locked" also means not acquired
            results["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_servers_taking_the_lock_at_once_get_it_once():
    SendLock.objects.create(name="job")
    results = contend_for_the_lock()
    assert results == {"first": True, "second": False}
    assert SendLock.objects.get(name="job").holder == "first"


@pytest.mark.django_db(transaction=True)
def test_on_any_database_two_runs_taking_the_lock_at_once_get_it_once():
    """SQLite runs one write at a time: the second waits, then finds the lock held, or gives
    up with "database is locked"; either way it does not get the lock."""
    SendLock.objects.create(name="job")
    results = contend_for_the_lock()
    assert results["first"] is True and results["second"] is not True
    assert SendLock.objects.get(name="job").holder == "first"
