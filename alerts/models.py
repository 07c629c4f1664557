"""Who follows which platforms by e-mail, and how far each has been sent.

An address is stored only to send the alerts it asked for: it is never shown on a page, has
no history table (an erased address leaves no copy behind), and `str()` of a subscription,
which the admin's log keeps, does not contain it.
"""

import datetime
import secrets

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from platforms.models import Platform

# A confirmation link works for this long, once.
CONFIRM_MAX_AGE = datetime.timedelta(days=3)
WEEK = datetime.timedelta(days=7)


def new_secret():
    return secrets.token_urlsafe(18)


def week_start(moment):
    """Monday 00:00 UTC of the week `moment` falls in: a weekly digest covers whole weeks."""
    day = moment.astimezone(datetime.UTC).date()
    monday = day - datetime.timedelta(days=day.weekday())
    return datetime.datetime.combine(monday, datetime.time.min, tzinfo=datetime.UTC)


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def due(self, now):
        """Confirmed subscriptions with a window to deal with: every immediate one, and a
        weekly one whose last window ended before this week began."""
        return self.confirmed().filter(
            Q(frequency=Subscription.Frequency.IMMEDIATE)
            | Q(frequency=Subscription.Frequency.WEEKLY, sent_through__lt=week_start(now))
        )

    def unconfirmed_expired(self, now):
        """Addresses whose confirmation link has expired unused: nothing to keep them for."""
        return self.filter(
            confirmed_at__isnull=True, confirmation_sent_at__lt=now - CONFIRM_MAX_AGE
        )


class Subscription(models.Model):
    class Frequency(models.TextChoices):
        IMMEDIATE = "immediate", _("As soon as something changes")
        WEEKLY = "weekly", _("Once a week, a summary")

    email = models.EmailField(_("e-mail address"), unique=True)
    everything = models.BooleanField(
        _("every platform"),
        default=False,
        help_text=_("Every published platform, including ones added later."),
    )
    platforms = models.ManyToManyField(Platform, blank=True, related_name="+")
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The one confirmation link that may still be used names this nonce; using it clears it.
    confirm_nonce = models.CharField(max_length=32, blank=True, editable=False)
    # Part of every unsubscribe link, so a link outlives neither an erased row nor its id.
    unsubscribe_key = models.CharField(max_length=32, default=new_secret, editable=False)
    # Every change up to this moment has been dealt with (sent, or there was none to send).
    sent_through = models.DateTimeField(null=True, blank=True, editable=False)
    last_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    messages_sent = models.PositiveIntegerField(default=0, editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=["immediate", "weekly"]),
                name="subscription_frequency_valid",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(sent_through__isnull=False),
                name="confirmed_subscription_has_window",
            ),
        ]

    def __str__(self):
        # Never the address: the admin's log keeps this text after the row is erased.
        return f"Subscription #{self.pk}"

    @staticmethod
    def normalize(email):
        return email.strip().lower()

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None

    def follows(self, platform_id, followed_ids):
        return self.everything or platform_id in followed_ids

    def window_end(self, now):
        """Where this run's window ends: now, or for a weekly digest the start of this week."""
        return week_start(now) if self.frequency == self.Frequency.WEEKLY else now

    def start_confirmation(self):
        """A new nonce for a new confirmation link; any earlier link stops working."""
        self.confirm_nonce = new_secret()
        self.confirmation_sent_at = timezone.now()
        self.save(update_fields=["confirm_nonce", "confirmation_sent_at"])
        return self.confirm_nonce

    def confirm(self, nonce, *, everything, platform_ids, frequency):
        """Apply the choices a confirmation link carries, once: False when the link's nonce
        is no longer the row's (used, or a newer link was sent). The conditional UPDATE makes
        two clicks at the same moment confirm once."""
        now = timezone.now()
        claimed = Subscription.objects.filter(pk=self.pk, confirm_nonce=nonce).exclude(
            confirm_nonce=""
        )
        with transaction.atomic():
            if not claimed.update(confirm_nonce="", everything=everything, frequency=frequency):
                return False
            # A first confirmation starts the window now; a change of choices keeps it.
            Subscription.objects.filter(pk=self.pk, confirmed_at__isnull=True).update(
                confirmed_at=now, sent_through=now
            )
            self.platforms.set([] if everything else platform_ids)
        self.refresh_from_db()
        return True

    def record_window(self, old_through, through, sent):
        """Record that the window up to `through` is dealt with (and a message sent, if
        `sent`). Conditional on the old value, so a window is never recorded twice."""
        fields = {"sent_through": through}
        if sent:
            fields.update(last_sent_at=timezone.now(), messages_sent=models.F("messages_sent") + 1)
        updated = Subscription.objects.filter(pk=self.pk, sent_through=old_through).update(
            **fields
        )
        return updated == 1


class SendLock(models.Model):
    """One row per job that must run one at a time across app servers (send_alerts).

    Taken by a conditional UPDATE rather than a transaction held open for the whole run:
    each subscriber's progress must commit as soon as the message is sent. On PostgreSQL the
    UPDATE locks the row and a concurrent one re-reads it after the first commits (and finds
    it held); SQLite runs one write at a time. A lease, not a flag: a run that is killed
    frees the lock when its lease runs out, and a live run renews it as it goes."""

    name = models.CharField(max_length=40, primary_key=True)
    holder = models.CharField(max_length=64, blank=True)
    held_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name

    @classmethod
    def acquire(cls, name, holder, lease):
        cls.objects.bulk_create([cls(name=name)], ignore_conflicts=True)
        now = timezone.now()
        free = Q(held_until__isnull=True) | Q(held_until__lt=now)
        return (
            cls.objects.filter(free, name=name).update(holder=holder, held_until=now + lease) == 1
        )

    @classmethod
    def renew(cls, name, holder, lease):
        """Extend the lease; False when this holder lost it (it ran out and another took it)."""
        now = timezone.now()
        return (
            cls.objects.filter(name=name, holder=holder, held_until__gte=now).update(
                held_until=now + lease
            )
            == 1
        )

    @classmethod
    def release(cls, name, holder):
        cls.objects.filter(name=name, holder=holder).update(holder="", held_until=None)
