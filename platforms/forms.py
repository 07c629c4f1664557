from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .history import platform_changes_since
from .models import Fact, Platform, State


class FactForm(forms.ModelForm):
    """A fact's sources live in a many-to-many field, so the rule "a fact other than unknown
    cites a source" can only be checked here, where the chosen sources are known."""

    class Meta:
        model = Fact
        fields = [
            "platform",
            "criterion",
            "state",
            "plan_scope",
            "note",
            "sources",
            "verified_on",
            "contested",
            "contested_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        state = cleaned.get("state")
        if state and state != State.UNKNOWN and not cleaned.get("sources"):
            self.add_error(
                "sources",
                _("Cite at least one source, or set the state to “Unknown”."),
            )
        return cleaned


def describe_change(change):
    """One line of the lost-update message. The field values arrive escaped (see
    platforms.history), so they are joined as HTML and not escaped twice."""
    text = format_html(
        "{}, {}: {} {}",
        date_format(timezone.localtime(change["when"]), "DATETIME_FORMAT"),
        change["who"] or _("someone"),
        change["kind"],
        change["object"],
    )
    if not change["fields"]:
        return text
    fields = format_html_join(
        "; ", "{}: {} → {}", ((f["field"], f["old"], f["new"]) for f in change["fields"])
    )
    return format_html("{} ({})", text, fields)


class PlatformVersionForm(forms.ModelForm):
    """An admin form for a platform or one of its children that refuses a lost update.

    The form carries the version of the platform entry it was opened on. Saving is refused
    when the platform moved on since (someone saved it, or one of its facts, plans, paths or
    incidents): the error lists what changed meanwhile, the typed input stays in the form,
    and the hidden version moves to the current one, so saving again (after reading what
    changed) keeps this admin's version on purpose. The admin's save claims the version with
    a conditional UPDATE in the same transaction (Platform.claim_version), which holds when
    two saves pass this check at the same moment."""

    platform_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    opened_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked_platform_pk = self.platform_pk_of(self.instance)
        self.stale_changes = None
        if not self.is_bound and self.locked_platform_pk is not None:
            # From the database, not the instance: a history "revert" form holds an old copy.
            self.initial["platform_version"] = current_version(self.locked_platform_pk)
            self.initial["opened_at"] = timezone.now()

    @staticmethod
    def platform_pk_of(instance):
        if instance.pk is None:
            return None  # an addition cannot overwrite anyone's work
        return instance.pk if isinstance(instance, Platform) else instance.platform_id

    def clean(self):
        cleaned = super().clean()
        pk = self.locked_platform_pk
        if pk is None:
            return cleaned
        current = current_version(pk)
        if current is None or cleaned.get("platform_version") == current:
            return cleaned
        since = cleaned.get("opened_at") if "opened_at" not in self.errors else None
        self.stale_changes = platform_changes_since(pk, since)
        # The next save, after the admin has read what changed, is made on purpose.
        self.data = self.data.copy()
        self.data[self.add_prefix("platform_version")] = str(current)
        self.data[self.add_prefix("opened_at")] = timezone.now().isoformat()
        raise ValidationError(
            [
                _(
                    "Not saved: someone else saved this platform after you opened it. Your "
                    "input is still in the form below. What changed meanwhile:"
                ),
                *(describe_change(change) for change in self.stale_changes),
                _(
                    "Save again to replace their changes with what the form holds now, or "
                    "reload the page to start from the current version."
                ),
            ],
            code="stale_version",
        )


def current_version(platform_pk):
    return Platform.objects.filter(pk=platform_pk).values_list("version", flat=True).first()


class FactAdminForm(PlatformVersionForm, FactForm):
    pass
