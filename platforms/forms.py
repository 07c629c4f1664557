from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .history import changes_since
from .models import Fact, Platform, State, Versioned


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


def version_owner(instance):
    """(model, pk) of the row whose version guards an edit of `instance`: the row itself for
    a Versioned model (platform, source, criterion), else its platform (plans, facts,
    paths, incidents); None for an addition, which cannot overwrite anyone's work."""
    if instance.pk is None:
        return None
    if isinstance(instance, Versioned):
        return type(instance), instance.pk
    return Platform, instance.platform_id


class VersionForm(forms.ModelForm):
    """An admin form for any editable row that refuses a lost update.

    The form carries the version of the row it was opened on (for a plan, fact, path or
    incident: its platform's). Saving is refused when that row moved on since (someone saved
    it, or for a platform one of its children): the error lists what changed meanwhile, the
    typed input stays in the form, and the hidden version moves to the current one, so saving
    again (after reading what changed) keeps this admin's version on purpose. The admin's
    save claims the version with a conditional UPDATE in the same transaction
    (Versioned.claim_version), which holds when two saves pass this check at the same moment.
    """

    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    opened_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.version_owner = version_owner(self.instance)
        self.stale_changes = None
        if not self.is_bound and self.version_owner is not None:
            # From the database, not the instance: a history "revert" form holds an old copy.
            self.initial["opened_version"] = current_version(*self.version_owner)
            self.initial["opened_at"] = timezone.now()

    def clean(self):
        cleaned = super().clean()
        if self.version_owner is None:
            return cleaned
        model, pk = self.version_owner
        current = current_version(model, pk)
        if current is None or cleaned.get("opened_version") == current:
            return cleaned
        since = cleaned.get("opened_at") if "opened_at" not in self.errors else None
        self.stale_changes = changes_since(model, pk, since)
        # The next save, after the admin has read what changed, is made on purpose.
        self.data = self.data.copy()
        self.data[self.add_prefix("opened_version")] = str(current)
        self.data[self.add_prefix("opened_at")] = timezone.now().isoformat()
        raise ValidationError(
            [
                _(
                    "Not saved: someone else saved this %(thing)s after you opened it. Your "
                    "input is still in the form below. What changed meanwhile:"
                )
                % {"thing": model._meta.verbose_name},
                *(describe_change(change) for change in self.stale_changes),
                _(
                    "Save again to replace their changes with what the form holds now, or "
                    "reload the page to start from the current version."
                ),
            ],
            code="stale_version",
        )


def current_version(model, pk):
    return model.objects.filter(pk=pk).values_list("version", flat=True).first()


class FactAdminForm(VersionForm, FactForm):
    pass
