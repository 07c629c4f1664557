import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.forms.models import InlineForeignKeyField
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .history import changes_since
from .models import Citation, Fact, Platform, State, Versioned

NEEDS_QUOTED_CITATION = _(
    "A fact other than “Unknown” needs at least one citation with the quoted sentence that "
    "supports it."
)


def require_check_date(form):
    """A fact whose state changes needs its "checked on" date confirmed: the old date would
    claim the new state was checked back then. Refused once with the date set to today in
    the form (and the confirmation noted), so saving again confirms it, or any other date
    the editor types."""
    if form.instance.pk is None or "state" not in form.changed_data:
        return
    today = timezone.localdate()
    data = form.cleaned_data
    if (
        "verified_on" in form.changed_data
        or data.get("check_date_confirmed")
        or data.get("verified_on") == today
        or "verified_on" in form.errors
    ):
        return
    form.add_error(
        "verified_on",
        _(
            "You changed the state: confirm when it was checked. The date now says today; "
            "change it if you checked on another day, then save again."
        ),
    )
    form.data = form.data.copy()
    form.data[form.add_prefix("verified_on")] = today.isoformat()
    form.data[form.add_prefix("check_date_confirmed")] = "True"


class FactForm(forms.ModelForm):
    """A fact edited inline on its platform's page, where its citations are not: a state
    other than unknown needs a quoted citation already saved on the fact's own page."""

    check_date_confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Fact
        fields = [
            "platform",
            "criterion",
            "state",
            "plan_scope",
            "detail",
            "note",
            "verified_on",
            "contested",
            "contested_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        require_check_date(self)
        state = cleaned.get("state")
        if "state" in self.changed_data and state and state != State.UNKNOWN:
            quoted = self.instance.pk and Fact.objects.filter(pk=self.instance.pk).sourced()
            if not quoted:
                self.add_error(
                    "state",
                    format_html(
                        "{} {}",
                        NEEDS_QUOTED_CITATION,
                        _(
                            "Add it on the fact's own page (“edit citations”), where the "
                            "state can be changed with it, or keep “Unknown”."
                        ),
                    ),
                )
        return cleaned


class FactPageForm(FactForm):
    """The fact's own page: the citations inline below are checked by CitationFormSet."""

    def clean(self):
        cleaned = forms.ModelForm.clean(self)
        require_check_date(self)
        # For CitationFormSet: a change of citations needs the date confirmed too.
        self.instance.check_date_confirmed = bool(
            cleaned.get("check_date_confirmed") or "verified_on" in self.changed_data
        )
        return cleaned


class CitationForm(forms.ModelForm):
    class Meta:
        model = Citation
        fields = ["source", "quote", "seen_on"]
        widgets = {"quote": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_on"].initial = timezone.localdate
        self.fields["quote"].required = True


class FactEvidenceFormSet(forms.BaseInlineFormSet):
    """Rows of a fact's own page (citations, per-plan states): changing them changes what
    the fact claims, so the editor confirms when it was checked, as for its state."""

    changed_what = ""

    def unconfirmed_check_date(self, fact):
        """Rows changed on a fact checked before today: the editor confirms the date (the
        fact form above says when it was checked)."""
        changed = any(form.has_changed() for form in self.forms) or self.deleted_forms
        if not changed or fact.pk is None or getattr(fact, "check_date_confirmed", False):
            return None
        if fact.verified_on == timezone.localdate():
            return None
        return ValidationError(
            _(
                "You changed the %(what)s: confirm when the fact was checked by setting "
                "“Verified on” above (today is %(today)s), then save again."
            )
            % {"what": self.changed_what, "today": date_format(timezone.localdate())},
            code="confirm_check_date",
        )


class CitationFormSet(FactEvidenceFormSet):
    """The rule "a fact other than unknown has a quoted citation", checked where the
    citations are edited, against the state the fact form above is saving."""

    changed_what = _("citations")

    def clean(self):
        super().clean()
        owner = self.instance
        if not isinstance(owner, Fact):
            return
        # Both problems at once: asking for the date first would hide that the claim has
        # lost its last quoted citation until the editor had saved again.
        errors = [self.missing_quoted_citation(owner), self.unconfirmed_check_date(owner)]
        errors = [error for error in errors if error is not None]
        if errors:
            raise ValidationError(errors)

    def missing_quoted_citation(self, fact):
        if fact.state == State.UNKNOWN:
            return None
        kept = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and (form.cleaned_data.get("quote") or "").strip()
        ]
        if kept:
            return None
        return ValidationError(
            format_html(
                "{} {}",
                NEEDS_QUOTED_CITATION,
                _("Add one below, or set the state to “Unknown”."),
            ),
            code="no_quoted_citation",
        )


class PlanStateFormSet(FactEvidenceFormSet):
    changed_what = _("states on plans")

    def clean(self):
        super().clean()
        plans = [
            form.cleaned_data.get("plan")
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        repeated = {plan for plan in plans if plan is not None and plans.count(plan) > 1}
        errors = [self.unconfirmed_check_date(self.instance)]
        if repeated:
            errors.append(
                ValidationError(
                    _("Give each plan one state: %(plans)s repeated.")
                    % {"plans": ", ".join(sorted(p.name for p in repeated))}
                )
            )
        errors = [error for error in errors if error is not None]
        if errors:
            raise ValidationError(errors)


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
        if (
            getattr(self, "merges", False)
            and cleaned.get("opened_version") is not None
            and getattr(self.instance, "version", None) == current
        ):
            # MergeForm compared this form with the rows as they are now (not a revert
            # form's old copy) and took in what only others changed: the save claims the
            # version it merged against, so a save since then is retried (StaleVersion).
            cleaned["opened_version"] = current
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


class FactAdminForm(VersionForm, FactPageForm):
    pass


class SnapshotField(forms.CharField):
    """The values a row was opened with: never a change of the row itself (else every
    inline row would be saved, with a history record, on each save of the page)."""

    widget = forms.HiddenInput

    def has_changed(self, initial, data):
        return False


class MergeForm(forms.ModelForm):
    """A row of the platform page (the platform, a plan, fact, path or incident) that takes
    in what others saved since the page was opened, instead of overwriting it.

    The form carries the values it was opened with (`opened_values`). When it comes back,
    each field is compared three ways: opened, in the database now ("theirs"), posted
    ("yours"). What only they changed is taken into the form (the posted old value is
    replaced by theirs), what only you changed is saved, and what both changed is refused
    with both values side by side; the opened values then move to theirs, so saving again
    (after reading) keeps yours on purpose. A plan, fact, path or incident is one unit (both
    changed the row: refused); the platform's own fields are compared one by one
    (`merge_by_field`).
    """

    opened_values = SnapshotField(required=False)
    merge_by_field = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflicts = []
        self.kept_theirs = []  # fields others saved meanwhile, taken into this save
        self.merges = False
        self.deleted_meanwhile = self.edited_deleted_row = False
        if not self.is_bound:
            if self.instance.pk is not None:
                self.initial["opened_values"] = self.encoded_current_values()
            return
        try:
            opened = json.loads(self.data.get(self.add_prefix("opened_values")) or "null")
        except ValueError:
            opened = None
        if not isinstance(opened, dict):
            return  # a new row, an old page, or tampered with: the version check decides
        if self.instance.pk is None:
            # The row was on the page when it was opened and is gone now: someone deleted
            # it (PlatformRowsFormSet lets it go, or refuses the save if it was edited).
            self.deleted_meanwhile = True
            self.edited_deleted_row = bool(self.changed_fields(opened)[1])
            return
        self.merges = True
        self.merge(opened)

    def merged_fields(self):
        pk_name = self._meta.model._meta.pk.name
        return [
            name
            for name, field in self.fields.items()
            if name in {f.name for f in self._meta.model._meta.get_fields()}
            and name != pk_name
            and not isinstance(field, InlineForeignKeyField)
        ]

    def current_value(self, name):
        field = self.fields[name]
        return field.prepare_value(self.get_initial_for_field(field, name))

    def encoded_current_values(self):
        values = {name: self.current_value(name) for name in self.merged_fields()}
        return json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True)

    def changed_fields(self, opened):
        """(theirs, yours): the fields saved meanwhile, and the fields this post changed,
        each against the values the page was opened with."""
        theirs, yours = [], []
        for name in self.merged_fields():
            field = self.fields[name]
            if name not in opened:
                continue
            try:
                was = opened_value(field, opened[name])
                theirs_changed = field.has_changed(was, self.current_value(name))
                yours_changed = field.has_changed(was, self[name].data)
            except (TypeError, ValueError, AttributeError):
                theirs_changed = yours_changed = True  # a tampered page: refused, shown
            if theirs_changed:
                theirs.append(name)
            if yours_changed:
                yours.append(name)
        return theirs, yours

    def merge(self, opened):
        theirs, yours = self.changed_fields(opened)
        if not theirs:
            return
        if self.merge_by_field:
            both = [name for name in theirs if name in yours]
        else:
            both = list(dict.fromkeys(yours + theirs)) if yours else []
        self.data = self.data.copy()
        self.kept_theirs = [name for name in theirs if name not in both]
        for name in self.kept_theirs:
            self.put(name, self.current_value(name))
        self.data[self.add_prefix("opened_values")] = self.encoded_current_values()
        self.conflicts = [
            (self.fields[name], self.current_value(name), self[name].data) for name in both
        ]

    def put(self, name, value):
        """Set the posted value of field `name` to `value` (a prepared value)."""
        key = self.add_prefix(name)
        if isinstance(self.fields[name].widget, forms.CheckboxInput):
            if value:
                self.data[key] = "on"
            else:
                self.data.pop(key, None)
        elif isinstance(value, list | tuple) and hasattr(self.data, "setlist"):
            self.data.setlist(key, [str(item) for item in value])
        else:
            self.data[key] = "" if value is None else str(value)

    def clean(self):
        cleaned = super().clean()
        if self.conflicts:
            self.add_error(None, conflict_error(self._meta.model, self.conflicts))
        return cleaned


def opened_value(field, value):
    """A value from `opened_values` (JSON) as the field compares it (dates as dates)."""
    if isinstance(field, forms.ModelChoiceField):
        return value
    try:
        return field.to_python(value)
    except ValidationError:
        return value


def shown_value(field, value):
    """A field's value for the side-by-side table: labels, not codes or ids."""
    if value in (None, "", [], ()):
        return "—"
    if isinstance(field, forms.ModelMultipleChoiceField):
        return ", ".join(str(row) for row in field.queryset.filter(pk__in=value)) or "—"
    if isinstance(field, forms.ModelChoiceField):
        return str(field.queryset.filter(pk=value).first() or "—")
    if isinstance(field, forms.BooleanField):
        return _("Yes") if field.to_python(value) else _("No")
    labels = {}
    for key, label in getattr(field, "choices", ()):
        labels.update(label if isinstance(label, list | tuple) else {key: label})
    return str(labels.get(value, value))


def conflict_error(model, conflicts):
    rows = format_html_join(
        "",
        "<tr><th scope='row'>{}</th><td>{}</td><td>{}</td></tr>",
        (
            (field.label, shown_value(field, theirs), shown_value(field, yours))
            for field, theirs, yours in conflicts
        ),
    )
    return ValidationError(
        format_html(
            "{} <table class='conflicts'><thead><tr><th scope='col'>{}</th>"
            "<th scope='col'>{}</th><th scope='col'>{}</th></tr></thead><tbody>{}</tbody>"
            "</table>{}",
            _(
                "Not saved: someone else changed this %(thing)s after you opened it, and "
                "so did you."
            )
            % {"thing": model._meta.verbose_name},
            _("Field"),
            _("Saved meanwhile"),
            _("Yours (still in the form)"),
            rows,
            _("Save again to keep yours, or change it to theirs (or a mix) first."),
        ),
        code="edit_conflict",
    )


def kept_from_others(form, formsets):
    """What a merged save of the platform page took in from others' saves since the page
    was opened, in words ("Vendor"; "Zoom · Waiting room: note"), for the message after it."""
    kept = [str(form.fields[name].label) for name in form.kept_theirs]
    for formset in formsets:
        for row in formset.forms:
            if row.kept_theirs:
                names = ", ".join(str(row.fields[name].label).lower() for name in row.kept_theirs)
                kept.append(f"{row.instance}: {names}")
    return kept


class PlatformRowsFormSet(forms.BaseInlineFormSet):
    """The rows of a platform page (plans, facts, paths, incidents; MergeForm rows).

    A row that someone else deleted after the page was opened comes back with an id that
    no longer exists. Left as it was, it is let go: their deletion stands and the rest of
    the page is saved. Edited, the save is refused in plain words, the input kept."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if not getattr(form, "deleted_meanwhile", False):
            return
        if not form.edited_deleted_row and self.can_delete:
            form.data = form.data.copy()
            form.data[form.add_prefix(forms.formsets.DELETION_FIELD_NAME)] = "on"
            return
        thing = self.model._meta.verbose_name
        form.fields[self.model._meta.pk.name].error_messages["invalid_choice"] = _(
            "Not saved: someone else deleted this %(thing)s after you opened the page, and "
            "you changed it. Your input is still in the form. To keep it, add it again as a "
            "new %(thing)s; to let it go, tick Delete and save."
        ) % {"thing": thing}


class FactInlineForm(MergeForm, FactForm):
    pass


class PlatformAdminForm(MergeForm, VersionForm):
    """The platform page: rows and fields others saved meanwhile are merged (MergeForm)."""

    merge_by_field = True
