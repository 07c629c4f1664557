"""The sourced data behind every cell of a comparison.

A `Fact` is one platform × one criterion. Each fact other than `unknown` cites at least one
`Source` and carries the date someone checked it, so the site can always say where a claim
comes from and how old it is.
"""

import datetime
import functools
import operator
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

STALE_AFTER_DAYS = 365
# The change reason recorded for rows the seed command loads; the public change log leaves
# these out, so only what editors change shows up there.
SEED_CHANGE_REASON = "seed data loaded"
CVE_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def validate_not_future(value):
    if value and value > timezone.localdate():
        raise ValidationError(_("This date is in the future."), code="future_date")


def validate_cve_list(value):
    bad = [cve for cve in split_cves(value) if not CVE_RE.match(cve)]
    if bad:
        raise ValidationError(
            _("Not CVE ids (expected CVE-YYYY-NNNN, comma separated): %(bad)s"),
            params={"bad": ", ".join(bad)},
            code="invalid_cve",
        )


def split_cves(value):
    return [part.strip() for part in (value or "").split(",") if part.strip()]


http_url_validator = URLValidator(schemes=["http", "https"])


def stale_cutoff():
    return timezone.localdate() - datetime.timedelta(days=STALE_AFTER_DAYS)


class Versioned(models.Model):
    """A row an admin edits with a lost-update check (VersionedAdmin, platforms/admin.py).

    `version` is bumped by every admin save of the row (and, for a platform, of its plans,
    facts, paths and incidents): two admins who opened the same version cannot both save it.
    """

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @classmethod
    def claim_version(cls, pk, expected):
        """Move the row from version `expected` to the next one; False when another save
        got there first. Run it inside the transaction that saves the edit: the UPDATE locks
        the row, so of many concurrent claims of one version exactly one succeeds."""
        claimed = cls.objects.filter(pk=pk, version=expected).update(
            version=models.F("version") + 1
        )
        return claimed == 1

    @classmethod
    def bump_versions(cls, pks):
        """Make forms opened before a change to these rows (or their children) stale."""
        cls.objects.filter(pk__in=pks).update(version=models.F("version") + 1)


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class SourceManager(models.Manager):
    def get_by_natural_key(self, url):
        return self.get(url=url)


class Source(Versioned):
    url = models.URLField(_("URL"), max_length=500, unique=True, validators=[http_url_validator])
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    published_on = models.DateField(
        _("page date"),
        null=True,
        blank=True,
        validators=[validate_not_future],
        help_text=_("The date the page gives for itself; leave empty when it is undated."),
    )
    accessed_on = models.DateField(validators=[validate_not_future])
    third_party = models.BooleanField(
        default=False, help_text=_("Not the vendor's own page (press, review, researcher).")
    )

    objects = SourceManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["publisher", "title"]

    def __str__(self):
        return f"{self.title} ({self.publisher})"

    def natural_key(self):
        return (self.url,)


def need_condition(criteria, prefix=""):
    """A Q that matches the facts meeting any of the given criteria's needs.

    With prefix "facts__" it applies to platforms, through their facts. `criteria` is not
    empty."""
    return functools.reduce(
        operator.or_,
        (
            Q(**{f"{prefix}criterion_id": c.pk, f"{prefix}state__in": c.need_met_by})
            for c in criteria
        ),
    )


class PlatformQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def search(self, text):
        return self.filter(
            Q(name__icontains=text) | Q(vendor__icontains=text) | Q(summary__icontains=text)
        )

    def with_needs_met(self, criteria):
        """Annotate `needs_met`: how many of the given criteria each platform satisfies."""
        if not criteria:
            return self.annotate(needs_met=models.Value(0))
        return self.annotate(
            needs_met=models.Count("facts", filter=need_condition(criteria, "facts__"))
        )

    def with_last_verified(self):
        return self.annotate(last_verified=models.Max("facts__verified_on"))


class Platform(Versioned):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    vendor = models.CharField(max_length=100)
    website = models.URLField(max_length=300, validators=[http_url_validator])
    summary = models.TextField(help_text=_("Two or three plain sentences for therapists."))
    published = models.BooleanField(default=True)
    reviewed_on = models.DateField(
        _("last full review"), null=True, blank=True, validators=[validate_not_future]
    )

    objects = SlugNaturalKeyManager.from_queryset(PlatformQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("compare:platform-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)


class PlatformChildManager(models.Manager):
    """Children of a platform are found by the platform's slug and one field of their own."""

    key_field = "name"

    def get_by_natural_key(self, platform_slug, key):
        return self.get(platform__slug=platform_slug, **{self.key_field: key})


class EncryptionPathManager(PlatformChildManager):
    key_field = "connection"


class IncidentManager(PlatformChildManager):
    key_field = "title"


class Availability(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class Plan(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(max_length=100)
    free = models.BooleanField(default=False)
    price_note = models.CharField(max_length=200, blank=True)
    baa = models.CharField(
        _("BAA offered"), max_length=8, choices=Availability.choices, default=Availability.UNKNOWN
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="plans")

    objects = PlatformChildManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["platform", "-free", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "name"], name="one_plan_name_per_platform")
        ]

    def __str__(self):
        return f"{self.platform} · {self.name}"

    def natural_key(self):
        return (*self.platform.natural_key(), self.name)

    natural_key.dependencies = ["platforms.platform"]


class State(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    PARTIAL = "partial", _("Partly")
    ON_BY_DEFAULT = "on", _("Available, on by default")
    OFF_BY_DEFAULT = "off", _("Available, off by default")
    UNKNOWN = "unknown", _("Unknown")


# States that meet a therapist's need, given the state recommended for therapy: a control
# that should be used is met when it exists at all (on, or off but switchable on); a risk
# that should be avoided is met when it is absent or off until someone turns it on.
NEED_MET_BY = {
    State.YES: {State.YES, State.ON_BY_DEFAULT, State.OFF_BY_DEFAULT},
    State.ON_BY_DEFAULT: {State.YES, State.ON_BY_DEFAULT, State.OFF_BY_DEFAULT},
    State.OFF_BY_DEFAULT: {State.NO, State.OFF_BY_DEFAULT},
    State.NO: {State.NO},
}


class CriterionQuerySet(models.QuerySet):
    def filterable(self):
        return self.filter(filterable=True)


class Criterion(Versioned):
    class Group(models.TextChoices):
        COMPLIANCE = "compliance", _("Compliance")
        ENCRYPTION = "encryption", _("Encryption")
        ACCESS_CONTROL = "access", _("Meeting access control")
        SAFE_DEFAULTS = "defaults", _("Safe defaults")
        CLIENT_ACCESS = "client", _("Client access")
        PRIVACY = "privacy", _("Privacy")
        PRACTICE = "practice", _("Practice features")

    # Display order of the groups on every page.
    GROUP_ORDER = [g.value for g in Group]

    slug = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=100)
    group = models.CharField(max_length=12, choices=Group.choices)
    definition = models.TextField(help_text=_("What it is, in plain language."))
    why_it_matters = models.TextField(help_text=_("Why it matters in a therapy session."))
    recommended = models.CharField(
        _("recommended for therapy"),
        max_length=8,
        choices=[(s.value, s.label) for s in NEED_MET_BY],
    )
    need_label = models.CharField(
        max_length=100,
        help_text=_('How a therapist asks for it in the filter, e.g. "BAA offered".'),
    )
    order = models.PositiveSmallIntegerField(default=0)
    filterable = models.BooleanField(_("offered as a filter"), default=False)

    objects = SlugNaturalKeyManager.from_queryset(CriterionQuerySet)()
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "label"]
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=Q(recommended__in=[s.value for s in NEED_MET_BY]),
                name="criterion_recommended_is_a_need",
            ),
        ]

    def __str__(self):
        return self.label

    def natural_key(self):
        return (self.slug,)

    @property
    def need_met_by(self):
        """The fact states that satisfy a therapist who requires this criterion."""
        return sorted(NEED_MET_BY[State(self.recommended)])

    @property
    def group_order(self):
        return self.GROUP_ORDER.index(self.group)


class SourcedQuerySet(models.QuerySet):
    def stale(self):
        return self.filter(verified_on__lt=stale_cutoff())

    def fresh(self):
        return self.filter(verified_on__gte=stale_cutoff())


class FactManager(models.Manager):
    def get_by_natural_key(self, platform_slug, criterion_slug):
        return self.get(platform__slug=platform_slug, criterion__slug=criterion_slug)


class FactQuerySet(SourcedQuerySet):
    def unsourced(self):
        return self.filter(sources__isnull=True)

    def known(self):
        return self.exclude(state=State.UNKNOWN)

    def published(self):
        return self.filter(platform__published=True)


class Sourced(models.Model):
    """What every checked claim carries: its sources, when it was verified, and doubts."""

    note = models.TextField(blank=True)
    verified_on = models.DateField(validators=[validate_not_future])
    contested = models.BooleanField(default=False)
    contested_reason = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_stale(self):
        return self.verified_on < stale_cutoff()

    def clean(self):
        super().clean()
        if self.contested and not self.contested_reason.strip():
            raise ValidationError(
                {"contested_reason": _("Say why the claim is contested.")}, code="no_reason"
            )


class Fact(Sourced):
    State = State

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="facts")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="facts")
    state = models.CharField(max_length=8, choices=State.choices, default=State.UNKNOWN)
    plan_scope = models.CharField(
        max_length=200, blank=True, help_text=_('Where it depends on the plan: "paid plans only".')
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="facts")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Who last confirmed the fact against its sources."),
    )

    objects = FactManager.from_queryset(FactQuerySet)()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["platform", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "criterion"], name="one_fact_per_cell"),
            models.CheckConstraint(condition=Q(state__in=State.values), name="fact_state_valid"),
            models.CheckConstraint(
                condition=Q(contested=False) | ~Q(contested_reason=""),
                name="fact_contested_has_reason",
            ),
        ]
        # "Which platforms meet this need": the list filter and its facet counts read only
        # this index (compare/filters.py).
        indexes = [
            models.Index(fields=["criterion", "state", "platform"], name="fact_need_lookup"),
        ]

    def __str__(self):
        return f"{self.platform} · {self.criterion}"

    def natural_key(self):
        return (*self.platform.natural_key(), *self.criterion.natural_key())

    natural_key.dependencies = ["platforms.platform", "platforms.criterion"]

    @property
    def meets_need(self):
        return self.state in NEED_MET_BY[State(self.criterion.recommended)]


class EncryptionPath(Sourced):
    class Connection(models.TextChoices):
        APP = "app", _("App to app")
        BROWSER = "browser", _("Browser (WebRTC)")
        ROOM_SYSTEM = "room", _("Room system (SIP/H.323)")
        DIAL_IN = "dial_in", _("Dial-in (phone)")
        RECORDING = "recording", _("Cloud recording")
        E2EE = "e2ee", _("End-to-end mode")

    class DecryptedAt(models.TextChoices):
        ENDPOINTS = "endpoints", _("Only on the participants' devices")
        MEDIA_SERVER = "media_server", _("Vendor media server")
        CONNECTOR = "connector", _("Vendor connector (room-system gateway)")
        GATEWAY = "gateway", _("Telephony gateway")
        RECORDING_SERVER = "recording_server", _("Recording server")
        UNKNOWN = "unknown", _("Unknown")

    class KeyHolder(models.TextChoices):
        VENDOR = "vendor", _("The vendor's servers")
        HOST = "host", _("The meeting host's device")
        PARTICIPANTS = "participants", _("The participants' devices")
        UNKNOWN = "unknown", _("Unknown")

    platform = models.ForeignKey(
        Platform, on_delete=models.CASCADE, related_name="encryption_paths"
    )
    connection = models.CharField(max_length=12, choices=Connection.choices)
    transport = models.CharField(
        _("transport protection"), max_length=200, help_text=_("e.g. TLS 1.2, AES-256-GCM")
    )
    decrypted_at = models.CharField(
        max_length=20, choices=DecryptedAt.choices, default=DecryptedAt.UNKNOWN
    )
    key_holder = models.CharField(max_length=12, choices=KeyHolder.choices, default="unknown")
    sources = models.ManyToManyField(Source, blank=True, related_name="encryption_paths")

    objects = EncryptionPathManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["platform", "connection"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "connection"], name="one_path_per_connection"
            ),
            models.CheckConstraint(
                condition=Q(contested=False) | ~Q(contested_reason=""),
                name="path_contested_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.platform} · {self.get_connection_display()}"

    def natural_key(self):
        return (*self.platform.natural_key(), self.connection)

    natural_key.dependencies = ["platforms.platform"]


class Incident(models.Model):
    class Kind(models.TextChoices):
        SECURITY = "security", _("Security")
        PRIVACY = "privacy", _("Privacy")

    class Status(models.TextChoices):
        FIXED = "fixed", _("Fixed")
        MITIGATED = "mitigated", _("Mitigated")
        OPEN = "open", _("Open")
        UNKNOWN = "unknown", _("Unknown")

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=200)
    cves = models.CharField(
        _("CVE ids"),
        max_length=300,
        blank=True,
        validators=[validate_cve_list],
        help_text=_("Comma separated, e.g. CVE-2020-11469, CVE-2020-11470"),
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    affected = models.CharField(_("affected clients"), max_length=200, blank=True)
    disclosed_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    fixed_on = models.DateField(null=True, blank=True, validators=[validate_not_future])
    fixed_in = models.CharField(_("fixed in version"), max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    mitigation = models.TextField(_("what a practitioner should do"), blank=True)
    sources = models.ManyToManyField(Source, blank=True, related_name="incidents")

    objects = IncidentManager()
    history = HistoricalRecords(m2m_fields=["sources"])

    class Meta:
        ordering = ["platform", "-disclosed_on", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "title"], name="one_incident_title_per_platform"
            ),
            models.CheckConstraint(
                condition=Q(fixed_on__isnull=True)
                | Q(disclosed_on__isnull=True)
                | Q(fixed_on__gte=models.F("disclosed_on")),
                name="incident_fixed_after_disclosed",
            ),
        ]

    def __str__(self):
        return f"{self.platform} · {self.title}"

    def natural_key(self):
        return (*self.platform.natural_key(), self.title)

    natural_key.dependencies = ["platforms.platform"]

    @property
    def cve_list(self):
        return split_cves(self.cves)

    def clean(self):
        super().clean()
        if self.fixed_on and self.disclosed_on and self.fixed_on < self.disclosed_on:
            raise ValidationError(
                {"fixed_on": _("An incident cannot be fixed before it was disclosed.")}
            )
