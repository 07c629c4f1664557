"""Corrections readers suggest for a fact, and what the editors decided.

A correction is never published as written: it is a proposal in the admin's queue. Accepting
one opens the fact's edit form with the proposal filled in; the fact's change is recorded
with READER_CORRECTION_REASON, which the public change log shows as "a reader's correction"
(never a name or an address). The writer's e-mail address, when given, serves the one
message about the decision and is erased once it is sent.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from platforms.models import QUOTE_MAX_LENGTH, Fact, State, http_url_validator

# The change reason of a fact saved from an accepted correction (see compare/changes.py).
READER_CORRECTION_REASON = "a reader's correction"
WHAT_IS_WRONG_MAX_LENGTH = 2000
DISCLOSURE_MAX_LENGTH = 300
REASON_MAX_LENGTH = 1000


class CorrectionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Correction.Status.NEW)


class Correction(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    class Writer(models.TextChoices):
        THERAPIST = "therapist", _("A therapist")
        STAFF = "staff", _("Practice staff")
        VENDOR = "vendor", _("The vendor (I work for it or speak for it)")
        OTHER = "other", _("Someone else")

    fact = models.ForeignKey(Fact, on_delete=models.CASCADE, related_name="corrections")
    what_is_wrong = models.TextField(_("what is wrong"), max_length=WHAT_IS_WRONG_MAX_LENGTH)
    proposed_state = models.CharField(_("proposed state"), max_length=8, choices=State.choices)
    source_url = models.URLField(
        _("source address"), max_length=500, validators=[http_url_validator]
    )
    quote = models.TextField(_("quote from the source"), max_length=QUOTE_MAX_LENGTH)
    writer = models.CharField(_("who is writing"), max_length=10, choices=Writer.choices)
    disclosure = models.CharField(
        _("relationship to the vendor"), max_length=DISCLOSURE_MAX_LENGTH, blank=True
    )
    email = models.EmailField(_("e-mail for a reply"), blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NEW)
    reason = models.TextField(
        _("reason"),
        max_length=REASON_MAX_LENGTH,
        blank=True,
        help_text=_(
            "Why it was accepted or rejected; sent to the writer when they gave an e-mail."
        ),
    )
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CorrectionQuerySet.as_manager()
    # The decisions' trail; the writer's address stays out of it.
    history = HistoricalRecords(excluded_fields=["email"])

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "accepted", "rejected"]),
                name="correction_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(proposed_state__in=State.values), name="correction_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(writer__in=["therapist", "staff", "vendor", "other"]),
                name="correction_writer_valid",
            ),
            models.CheckConstraint(
                condition=~Q(writer="vendor") | ~Q(disclosure=""),
                name="correction_vendor_discloses",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="correction_rejection_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.fact} · {self.get_proposed_state_display()} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status == self.Status.NEW

    def decide(self, status, user, reason=""):
        self.status, self.reason = status, reason.strip()
        self.decided_at, self.decided_by = timezone.now(), user
        self._change_reason = f"correction {status}"
        self.save()


def annotate_open_corrections(queryset):
    """Facts with `open_corrections`: how many readers' corrections await a decision."""
    open_ones = (
        Correction.objects.open()
        .filter(fact=models.OuterRef("pk"))
        .order_by()
        .values("fact")
        .annotate(count=models.Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        open_corrections=Coalesce(
            models.Subquery(open_ones, output_field=models.IntegerField()), 0
        )
    )
