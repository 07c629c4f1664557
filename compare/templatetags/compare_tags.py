from django import template
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


@register.inclusion_tag("components/_state.html")
def fact_state(fact, label=None, need=False, strength=True):
    """A fact's state as icon and words, its evidence strength and how it differs by plan.

    With `need` (the therapist chose this criterion as a need) it says whether the state
    meets the need; otherwise it reads for itself, with advice where the site recommends
    switching a control on or off."""
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


@register.inclusion_tag("components/_evidence_dates.html")
def evidence_dates(fact):
    """ "Checked on" and "evidence from" kept apart; an unknown fact was searched, not
    verified."""
    return {"fact": fact, "evidence_from": fact.evidence_from}


@register.simple_tag(takes_context=True)
def page_url(context, page_number):
    """The current URL with another page number, every other parameter kept."""
    query = context["request"].GET.copy()
    query["page"] = page_number
    return f"?{query.urlencode()}"
