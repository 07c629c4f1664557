import functools

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from platforms.models import State

register = template.Library()

# Every state has an icon and words: colour is only ever a third cue.
STATE_ICONS = {
    State.YES: "✓",
    State.NO: "✗",
    State.PARTIAL: "◐",
    State.ON_BY_DEFAULT: "●",
    State.OFF_BY_DEFAULT: "○",
    State.UNKNOWN: "?",
}

# How the state reads where the therapist chose no need (Criterion.advice_for).
ADVICE_WORDS = {
    "switch-on": _("Available, switch it on"),
    "switch-off": _("On by default, switch it off"),
}

# Evidence strength (Fact.strength), as icon and words.
STRENGTHS = {
    "vendor": ("◆", _("vendor-stated")),
    "third_party": ("◇", _("third-party only")),
    "contested": ("⚖", _("contested")),
}


@register.simple_tag
def fact_state(fact, label=None, need=False, strength=True):
    """A fact's state as icon and words, its evidence strength and how it differs by plan.

    With `need` (the therapist chose this criterion as a need) it says whether the state
    meets the need; otherwise it reads for itself, with advice where the site recommends
    switching a control on or off.

    Written out here rather than by an inclusion template: the list, compare and platform
    pages show it 30 to 120 times each, and a template per cell was a third of the time
    an uncached page took to render."""
    return state_html(state_context(fact, label, need, strength))


def state_context(fact, label=None, need=False, strength=True):
    if fact is None:
        return {"missing": True, "label": label}
    state = State(fact.state)
    context = {
        "fact": fact,
        "label": label,
        "icon": STATE_ICONS[state],
        "words": state.label,
        "verdict": "",
        "plan_groups": getattr(fact, "plan_groups", []),
        "strength": STRENGTHS.get(fact.strength) if strength else None,
        "strength_code": fact.strength,
    }
    if state == State.UNKNOWN:
        context["verdict"] = "unknown"
    elif need:
        context["verdict"] = "met" if fact.meets_need else "unmet"
    else:
        advice = fact.criterion.advice_for(fact.state)
        context["words"] = ADVICE_WORDS.get(advice, state.label)
        context["advice"] = advice
    return context


def state_html(c):
    """The markup of fact_state: one <span class="state state-…"> with icon and words."""
    label = c["label"]
    if c.get("missing"):
        return format_html(
            '<span class="state state-unknown"><span class="icon" aria-hidden="true">?</span> '
            "{}No entry yet</span>\n",
            format_html("{}: ", label) if label else "",
        )
    fact, verdict, advice = c["fact"], c["verdict"], c.get("advice")
    classes = f"state state-{fact.state}"
    if verdict:
        classes += f" verdict-{verdict}"
    if advice:
        classes += f" advice-{advice}"
    if c["plan_groups"]:
        reading = format_html(
            '<span class="by-plan">{}</span>',
            mark_safe(  # noqa: S308 - each part escaped by format_html
                " · ".join(
                    format_html("{} on {}", group["label"], ", ".join(group["plans"]))
                    for group in c["plan_groups"]
                )
            ),
        )
    else:
        reading = conditional_escape(c["words"])
    parts = [
        format_html(
            '<span class="{}"><span class="icon" aria-hidden="true">{}</span> ', classes, c["icon"]
        ),
        format_html('<span class="state-label">{}:</span> ', label) if label else "",
        reading,
        format_html(" ({})", fact.detail) if fact.detail else "",
        VERDICT_HTML.get(verdict, ""),
    ]
    if c["strength"]:
        icon, words = c["strength"]
        parts.append(
            format_html(
                ' <span class="strength strength-{}"><span aria-hidden="true">{}</span> {}</span>',
                c["strength_code"],
                icon,
                words,
            )
        )
    return mark_safe("".join(parts) + "</span>\n")  # noqa: S308 - every part escaped above


VERDICT_HTML = {
    "met": mark_safe(' <span class="verdict">(meets the need)</span>'),
    "unmet": mark_safe(' <span class="verdict">(falls short)</span>'),
}


# The tags below are written out in Python for the same reason as fact_state: they are
# repeated for every fact, path and incident of a page.


@register.simple_tag(name="date_time")
def time_html(value):
    """A <time> with the ISO date, showing it as the pages do ("3 Mar 2026")."""
    if not value:
        return mark_safe('<time datetime=""></time>')
    return _time_html(value, get_language())


@functools.lru_cache(maxsize=4096)
def _time_html(value, language):
    # A page shows a few hundred dates, most of them the same few: formatting each (month
    # names are translated) was a tenth of the platform page's time.
    return format_html(
        '<time datetime="{}">{}</time>', date_format(value, "Y-m-d"), date_format(value, "j M Y")
    )


@register.simple_tag
def evidence_dates(fact):
    """ "Checked on" and "evidence from" kept apart; an unknown fact was searched, not
    verified."""
    if fact.state == State.UNKNOWN:
        return format_html(
            '<p class="meta dates">Searched on {}, not found.</p>\n', time_html(fact.verified_on)
        )
    evidence_from = fact.evidence_from
    return format_html(
        '<p class="meta dates">Checked on {} · Evidence from {}</p>\n',
        time_html(fact.verified_on),
        time_html(evidence_from) if evidence_from else "undated pages",
    )


@register.simple_tag
def refs(numbers):
    """Footnote marks for the sources a place cites (compare.presentation.Footnotes)."""
    marks = format_html_join(
        "",
        '<sup class="ref"><a href="#source-{}" id="{}" aria-label="Source {}">[{}]</a></sup>',
        ((n, n.anchor, n, n) for n in numbers or ()),
    )
    return format_html("{}\n", marks)


STALE_HTML = mark_safe(
    '<span class="marker marker-stale"><span aria-hidden="true">⏳</span> Stale: checked over '
    "12 months ago</span>"
)
OLD_EVIDENCE_HTML = mark_safe(
    '<span class="marker marker-old"><span aria-hidden="true">⌛</span> Old evidence: the '
    "newest page it cites is over two years old</span>"
)


@register.simple_tag
def markers(item):
    """Stale, old-evidence and contested markers of a fact or an encryption path."""
    contested = ""
    if getattr(item, "contested", False):
        contested = format_html(
            '<details class="marker marker-contested"><summary><span aria-hidden="true">⚖'
            "</span> Contested</summary><p>{}</p></details>"
            '<span class="marker marker-contested print-only">⚖ Contested: {}</span>',
            item.contested_reason,
            item.contested_reason,
        )
    return format_html(
        "{}\n{}\n{}\n",
        STALE_HTML if getattr(item, "is_stale", False) else "",
        OLD_EVIDENCE_HTML if getattr(item, "has_old_evidence", False) else "",
        contested,
    )


REVIEW_HTML = mark_safe(
    '<span class="marker marker-review"><span aria-hidden="true">⚠</span> Source changed since '
    "checked: a cited page no longer shows the quote, is gone or cannot be reached; an editor "
    "will review this fact</span>\n"
)


@register.simple_tag
def review_marker(fact):
    """ "Source changed since checked" on a fact that source monitoring flagged
    (monitoring.models.annotate_needs_review)."""
    return REVIEW_HTML if getattr(fact, "needs_review", False) else ""


@register.simple_tag
def correction_link(fact, show_open=False):
    """The "Suggest a correction" link of a fact and, with `show_open`, how many readers'
    corrections of it are open (corrections.models.annotate_open_corrections)."""
    url = reverse("corrections:suggest", args=[fact.platform.slug, fact.criterion.slug])
    count = getattr(fact, "open_corrections", 0) if show_open else 0
    open_note = ""
    if count:
        words = ngettext("%(count)d correction open", "%(count)d corrections open", count)
        words %= {"count": count}
        open_note = format_html(' <span class="open-corrections">{}</span>', words)
    return format_html(
        '<span class="correction"><a class="suggest-correction" href="{}">Suggest a correction'
        '<span class="visually-hidden"> to {} on {}</span></a>{}</span>\n',
        url,
        fact.criterion.label,
        fact.platform.name,
        open_note,
    )
