"""Reading the history tables (django-simple-history) for people: what changed, field by field;
and bringing back a version's inline rows when an admin reverts to it."""

import dataclasses
import difflib
import re

from django.apps import apps
from django.db.models import ManyToManyField, Max, Q, Value
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from simple_history.template_utils import HistoricalRecordContextHelper

from .models import Citation, EncryptionPath, Fact, Incident, Plan, PlanState, Platform, State


class ReadableChanges(HistoricalRecordContextHelper):
    """Field changes with choice labels ("Unknown → Yes") instead of stored codes; with
    `mark_words` (the History page), the changed words of a long text are marked."""

    def __init__(self, *args, mark_words=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.mark_words = mark_words

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if not isinstance(field, ManyToManyField) and field.choices:
            return dict(field.flatchoices).get(value, value)
        return super().prepare_delta_change_value(change, value)

    def stringify_delta_change_values(self, change, old, new):
        """Whole values in whole words: simple-history cuts long texts mid-word ("A
        wid[264 chars]ode"); here both versions are shown in full, and in a long text the
        words that changed are marked."""
        if not (isinstance(old, str) and isinstance(new, str)):
            return super().stringify_delta_change_values(change, old, new)
        if not self.mark_words or max(len(old), len(new)) <= self.max_displayed_delta_change_chars:
            return conditional_escape(old), conditional_escape(new)
        return marked_words(old, new)


def marked_words(old, new):
    """`old` and `new` as HTML, each with the words the other lacks inside <mark>."""
    old_words, new_words = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    old_parts, new_parts = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = "".join(old_words[i1:i2]), "".join(new_words[j1:j2])
        marked = tag != "equal"
        if before:
            old_parts.append(("<mark>{}</mark>" if marked else "{}", before))
        if after:
            new_parts.append(("<mark>{}</mark>" if marked else "{}", after))

    def html(parts):
        return format_html_join("", "{}", ((format_html(template, v),) for template, v in parts))

    return html(old_parts), html(new_parts)


def field_changes(model, record, previous):
    """[{"field", "old", "new"}] from `previous` to `record`; `previous` None: a creation."""
    if previous is None:
        return []
    delta = record.diff_against(previous, foreign_keys_are_objs=True)
    return ReadableChanges(model, record).context_for_delta_changes(delta)


def changes_since(model, pk, since, limit=50):
    """Every recorded change to a row after `since`, oldest first; for a platform, to its
    plans, facts, paths and incidents too.

    For the admin's lost-update message, so it may cost a few queries per change."""
    histories = [(model, Q(id=pk))]
    if model is Platform:
        histories += [
            (child, Q(platform_id=pk)) for child in (Plan, Fact, EncryptionPath, Incident)
        ]
        histories += [
            (PlanState, Q(fact__platform_id=pk)),
            (Citation, Q(fact__platform_id=pk) | Q(plan__platform_id=pk)),
        ]
    changes = []
    for history_of, where in histories:
        records = history_of.history.filter(where).select_related("history_user")
        if since is not None:
            records = records.filter(history_date__gt=since)
        for record in records.order_by("-history_date")[:limit]:
            changes.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "kind": record.get_history_type_display(),
                    "object": str(record.instance),
                    "fields": field_changes(history_of, record, record.prev_record),
                }
            )
    changes.sort(key=lambda change: change["when"])
    return changes[-limit:]


def last_changed_at():
    """When the platform data last changed: the newest entry of any of its change histories
    (every save and delete through the ORM writes one), so a function of the data that every
    server agrees on. None for data without a history (see record_current_state)."""
    histories = [
        model.history.model
        for model in apps.get_app_config("platforms").get_models()
        if hasattr(model, "history") and not hasattr(model, "instance_type")
    ]
    # One row per table: grouped by a constant, the aggregate covers all of its rows.
    first, *others = (
        model.objects.order_by()
        .annotate(all=Value(1))
        .values("all")
        .values_list(Max("history_date"))
        for model in histories
    )
    newest = first.union(*others, all=True)
    return max((when for (when,) in newest if when is not None), default=None)


def record_current_state(models, reason, update=False):
    """Write one history record for every row of `models`, with its sources, in a few bulk
    queries: for data that arrived without history (loaddata writes none)."""
    for model in models:
        records = model.history.bulk_history_create(
            list(model.objects.all()), update=update, default_change_reason=reason
        )
        history_model = model.history.model
        record_by_pk = {record.id: record for record in records}
        for field in history_model._history_m2m_fields:
            m2m_history_model = getattr(history_model, field.name).model
            through = field.remote_field.through
            own_fk = field.m2m_field_name()
            m2m_history_model.objects.bulk_create(
                m2m_history_model(
                    history=record_by_pk[getattr(row, f"{own_fk}_id")],
                    **{f.attname: getattr(row, f.attname) for f in through._meta.fields},
                )
                for row in through.objects.filter(**{f"{own_fk}_id__in": record_by_pk})
            )


@dataclasses.dataclass(frozen=True)
class InlineRows:
    """Rows edited inline on their parent's page (a fact's citations and per-plan states, a
    plan's citations), read from their own history as part of the parent's versions: the
    parent's History page shows how they changed, and reverting the parent brings them back.

    A version of the parent holds the rows as they stood when the next version was saved, or
    now for the newest: an admin save writes the parent first and its inlines after it.
    """

    model: type
    parent: str  # the foreign key to the parent
    key: str  # the foreign key that is unique per parent: a citation's source, a state's plan
    label: str

    @property
    def fields(self):
        """The attribute names a version of a row is made of (its id and parent aside)."""
        skip = {"id", self.parent}
        return [f.attname for f in self.model._meta.concrete_fields if f.name not in skip]

    def by_version(self, parent_pk):
        """{history_id of each version of the parent: {row id: historical row}}, in two
        queries whatever the number of versions."""
        parent_model = self.model._meta.get_field(self.parent).related_model
        versions = list(
            parent_model.history.filter(id=parent_pk)
            .order_by("history_date", "history_id")
            .values_list("history_id", "history_date")
        )
        ever = self.model.history.filter(**{f"{self.parent}_id": parent_pk}).values("id")
        rows = iter(
            self.model.history.filter(id__in=ever)
            .select_related(self.key)
            .order_by("history_date", "history_id")
        )
        latest, pending, result = {}, next(rows, None), {}
        for i, (history_id, _date) in enumerate(versions):
            cutoff = versions[i + 1][1] if i + 1 < len(versions) else None
            while pending is not None and (cutoff is None or pending.history_date < cutoff):
                latest[pending.id] = pending
                pending = next(rows, None)
            result[history_id] = {
                pk: row
                for pk, row in latest.items()
                if row.history_type != "-" and getattr(row, f"{self.parent}_id") == parent_pk
            }
        return result

    def restore(self, parent, wanted, reason):
        """Make the parent's rows those of a version (`wanted`, from by_version), each write
        through save() so it is recorded; the rows that cannot come back, because their
        source or plan has been deleted since, are left out and described in the result."""
        key_id = f"{self.key}_id"
        key_model = self.model._meta.get_field(self.key).related_model
        alive = set(
            key_model.objects.filter(
                pk__in=[getattr(row, key_id) for row in wanted.values()]
            ).values_list("pk", flat=True)
        )
        lost = [row for row in wanted.values() if getattr(row, key_id) not in alive]
        wanted = {pk: row for pk, row in wanted.items() if getattr(row, key_id) in alive}
        current = {row.pk: row for row in self.model.objects.filter(**{self.parent: parent})}
        # Rows the version lacks go first, and so does a row whose source (or plan) changed:
        # a version's rows then never meet a current row on the same source or plan.
        for pk, row in list(current.items()):
            if pk not in wanted or getattr(row, key_id) != getattr(wanted[pk], key_id):
                row._change_reason = reason
                row.delete()
                del current[pk]
        for pk, old in wanted.items():
            if pk in current and self.same(current[pk], old):
                continue
            row = old.instance  # with its old id: its history continues
            row._change_reason = reason
            row.save()
        return [self.describe(row) for row in lost]

    def describe(self, row):
        """A version of a row in words (a citation's source, quote and date seen; a plan's
        state). Its source or plan may have been deleted since (history keeps no key)."""
        if self.model is Citation:
            return str(
                _("%(source)s: “%(quote)s”, seen on %(seen_on)s")
                % {
                    "source": row.source or _("(a deleted source)"),
                    "quote": row.quote,
                    "seen_on": date_format(row.seen_on),
                }
            )
        plan = row.plan.name if row.plan else _("(a deleted plan)")
        state = dict(State.choices).get(row.state, row.state)
        return f"{plan}: {state}" + (f" ({row.detail})" if row.detail else "")

    def same(self, old, new):
        return all(getattr(old, f) == getattr(new, f) for f in self.fields)

    def change(self, old, new):
        """{"field", "old", "new"} for the History page, or None: the rows removed or changed
        as they were, against the rows added or changed as they are."""
        before = [row for pk, row in old.items() if pk not in new or not self.same(row, new[pk])]
        after = [row for pk, row in new.items() if pk not in old or not self.same(old[pk], row)]
        if not before and not after:
            return None
        return {
            "field": self.label,
            "old": "; ".join(self.describe(row) for row in before),
            "new": "; ".join(self.describe(row) for row in after),
        }
