"""python manage.py send_alerts: e-mail each confirmed subscriber what changed since its last
message. Schedule it every few minutes (README, "E-mail alerts"); weekly subscribers get one
message a week whenever it runs.

- One run at a time across app servers: a lease on a SendLock row (alerts/models.py). A run
  that finds it held says so and exits 0, so overlapping schedules are harmless.
- Safe to run twice: each subscriber's window ends at this run's start (or, weekly, at the
  start of this week) and is recorded right after its message is sent; the next run starts
  where the record says.
- Safe to interrupt: what was sent is recorded one subscriber at a time, in its own commit.
  The only gap is between the SMTP server accepting a message and that one UPDATE.
"""

import logging
import smtplib
import uuid

from django.core.mail import get_connection
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerts import digest, mail
from alerts.models import SendLock, Subscription

logger = logging.getLogger(__name__)

LOCK = "send_alerts"
LEASE = timezone.timedelta(minutes=10)


class Command(BaseCommand):
    help = "E-mail every confirmed subscriber the changes since its last message."

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=Subscription.Frequency.values,
            help="Only subscribers of this frequency (default: all that are due).",
        )

    def handle(self, *args, frequency=None, **options):
        holder = f"{uuid.uuid4().hex}"
        if not SendLock.acquire(LOCK, holder, LEASE):
            self.stderr.write("Another send_alerts run holds the lock; nothing done.")
            return
        try:
            sent, failed = self.send(holder, frequency)
        finally:
            SendLock.release(LOCK, holder)
        self.stdout.write(f"send_alerts: {sent} message(s) sent, {failed} failed.")
        if failed:
            raise CommandError(f"{failed} message(s) could not be sent; the next run retries.")

    def send(self, holder, frequency):
        now = timezone.now()
        Subscription.objects.unconfirmed_expired(now).delete()
        due = Subscription.objects.due(now)
        if frequency:
            due = due.filter(frequency=frequency)
        # The ids first, then batches: rows updated during the run are never re-read by an
        # open cursor (SQLite gives no isolation between queries on one connection).
        due_ids = list(due.order_by("pk").values_list("pk", flat=True))
        windows = {}  # (since, until) -> every platform's items, read once per window
        sent = failed = 0
        connection = get_connection()
        with connection:
            for subscription in batches(due_ids):
                if not SendLock.renew(LOCK, holder, LEASE):
                    raise CommandError("The send_alerts lock ran out; stopping this run.")
                since, until = subscription.sent_through, subscription.window_end(now)
                if until <= since:
                    continue
                if (since, until) not in windows:
                    windows[since, until] = digest.changes_between(since, until)
                followed = {platform.pk for platform in subscription.platforms.all()}
                groups = digest.for_subscriber(windows[since, until], subscription, followed)
                if groups:
                    try:
                        mail.digest(subscription, groups, connection=connection).send()
                    except (smtplib.SMTPException, OSError):
                        logger.exception("Alert to subscription %s not sent", subscription.pk)
                        failed += 1
                        continue
                    sent += 1
                subscription.record_window(since, until, sent=bool(groups))
        return sent, failed


def batches(ids, size=200):
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield from Subscription.objects.filter(pk__in=chunk).prefetch_related("platforms")
