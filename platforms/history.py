"""Reading the history tables (django-simple-history) for people: what changed, field by field."""

import difflib
import re

from django.db.models import ManyToManyField, Q
from django.utils.html import conditional_escape, format_html, format_html_join
from simple_history.template_utils import HistoricalRecordContextHelper

from .models import Citation, EncryptionPath, Fact, Incident, Plan, PlanState, Platform


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
