from django import template

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


@register.inclusion_tag("components/_state.html")
def fact_state(fact, label=None):
    """A fact's state as icon and words, with whether it meets the therapy recommendation."""
    if fact is None:
        return {"missing": True, "label": label}
    if fact.state == State.UNKNOWN:
        verdict = "unknown"
    else:
        verdict = "met" if fact.meets_need else "unmet"
    return {
        "fact": fact,
        "label": label,
        "icon": STATE_ICONS[State(fact.state)],
        "verdict": verdict,
    }


@register.simple_tag(takes_context=True)
def page_url(context, page_number):
    """The current URL with another page number, every other parameter kept."""
    query = context["request"].GET.copy()
    query["page"] = page_number
    return f"?{query.urlencode()}"
