"""The session-safety checklist: what a therapist should do on one platform, from its data.

Nothing here is written per platform. Each fact falls into at most one section by its state
and the state recommended for therapy; incidents say which client versions to insist on;
the habits apply to every platform. The words (what to do without a control, the habits)
are data on each criterion, edited in the admin. Pure functions over model objects: the
view fetches, this module sorts.
"""

import enum
import re
from dataclasses import dataclass, field

from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from platforms.models import Criterion, Fact, Incident, State

from .presentation import attach_plan_states


class SectionKind(enum.StrEnum):
    """The checklist's sections, in the order they print: slug, heading and introduction.

    A member is its slug ("switch-on"), so it names the section's anchor on the page."""

    SWITCH_ON = (
        "switch-on",
        gettext_lazy("Switch on before the first session"),
        gettext_lazy("Available, but off until someone turns it on."),
    )
    MISSING = (
        "missing",
        gettext_lazy("Missing or risky by default"),
        gettext_lazy("Recommended controls this platform lacks, and risks that are on."),
    )
    CHECK = (
        "check",
        gettext_lazy("Check"),
        gettext_lazy("Partly there, depends on the plan or account, or contested."),
    )
    UPDATE = (
        "update",
        gettext_lazy("Keep your and your clients’ apps updated"),
        gettext_lazy("Incidents fixed in a client version, and those not known to be fixed."),
    )
    UNKNOWN = (
        "unknown",
        gettext_lazy("Unknown: ask the vendor"),
        gettext_lazy("Nobody has verified these. Ask before you rely on the platform."),
    )

    def __new__(cls, slug, heading, intro):
        member = str.__new__(cls, slug)
        member._value_ = slug
        member.heading, member.intro = heading, intro
        return member


WANTED = {State.YES, State.ON_BY_DEFAULT}  # recommended states that mean "use this control"

# What the checklist says when a criterion has no mitigation text of its own (an editor
# writes it on the criterion, in the admin). `make check-data` lists every criterion on the
# checklist that lacks one (Criterion.objects.lacking_mitigation()), so this is never silent.
FALLBACK_MITIGATION = gettext_lazy(
    "Weigh this gap before relying on the platform for sessions, and ask the vendor whether "
    "a fix is planned."
)


@dataclass
class Item:
    """One thing to do. `title` names it, `action` says what to do, `why` why it matters."""

    title: str
    action: str
    why: str
    criterion: Criterion | None = None
    fact: object = None
    incident: Incident | None = None
    sources: list = field(default_factory=list)
    refs: list = field(default_factory=list)  # footnote numbers, filled in by the page
    fixes: list = field(default_factory=list)  # the grouped app update's Fix per incident

    @property
    def why_parts(self):
        """(first sentence, the rest) of `why`: the handout prints only the first."""
        return first_sentence(self.why)


@dataclass
class Fix:
    """One flaw the grouped app update fixes: a short title, the version, its sources."""

    title: str
    version: str
    incident: Incident
    sources: list = field(default_factory=list)
    refs: list = field(default_factory=list)  # footnote numbers, filled in by the page


@dataclass
class Section:
    kind: SectionKind
    items: list

    @property
    def slug(self):
        return self.kind.value

    @property
    def title(self):
        return str(self.kind.heading)

    @property
    def intro(self):
        return str(self.kind.intro)


# A sentence ends at . ! or ? (and any closing quote) after a lower-case letter, digit or
# closing mark, before a capital: so "U.S. Federal" and "e.g. Zoom" do not end one.
SENTENCE_END_RE = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<=[a-z0-9)\"”’])[.!?][\"”’]?(?=\s+[A-Z0-9\"“‘(])"
)


def first_sentence(text):
    """Split text after its first sentence: (first, rest), rest starting with its space."""
    match = SENTENCE_END_RE.search(text)
    if not match:
        return text, ""
    return text[: match.end()], text[match.end() :]


def sources_of(item):
    """A fact's or incident's sources; one not saved yet (or absent) has none."""
    if item is None or not item.pk:
        return []
    if isinstance(item, Fact):
        return [citation.source for citation in item.citations.all()]
    return list(item.sources.all())


def section_for(fact, criterion):
    """The checklist section a fact belongs in, or None when it needs no action.

    `fact` may be None: a criterion with no entry is unknown."""
    state = State(fact.state) if fact else State.UNKNOWN
    if state == State.UNKNOWN:
        return SectionKind.UNKNOWN
    wanted = State(criterion.recommended) in WANTED
    if wanted and state == State.OFF_BY_DEFAULT:
        return SectionKind.SWITCH_ON
    if wanted and state == State.NO:
        return SectionKind.MISSING
    if not wanted and state in {State.ON_BY_DEFAULT, State.YES}:
        return SectionKind.MISSING
    if (
        state == State.PARTIAL
        or fact.plan_scope
        or getattr(fact, "plan_groups", None)
        or fact.strength in {"contested", "third_party"}
    ):
        return SectionKind.CHECK
    if state not in criterion.need_met_by:
        return SectionKind.CHECK  # e.g. a risk that is off by default where "never" is recommended
    return None


def fact_action(section, fact, criterion, platform_name):
    state = State(fact.state) if fact else State.UNKNOWN
    if section == SectionKind.SWITCH_ON:
        return switch_on_action(fact, platform_name)
    if section == SectionKind.MISSING:
        if state == State.ON_BY_DEFAULT:
            turn_off = _("On by default on %(p)s: turn it off in the settings.")
            # Then what to do if it stays on (for an AI note-taker: what keeping it takes).
            return " ".join([turn_off % {"p": platform_name}, criterion.mitigation]).strip()
        if state == State.YES:
            lead = _("%(p)s has it, and it is not known to be a setting you can turn off.")
        else:
            lead = _("%(p)s does not offer it.")
        if not criterion.mitigation:  # generic advice, not a remedy (check_data lists these)
            return f"{lead % {'p': platform_name}} {FALLBACK_MITIGATION}"
        return f"{lead % {'p': platform_name}} {_('Mitigate:')} {criterion.mitigation}"
    if section == SectionKind.UNKNOWN:
        return _("Not verified for %(p)s: ask the vendor.") % {"p": platform_name}
    # CHECK: say every reason that applies.
    reasons = []
    if state == State.PARTIAL:
        reasons.append(_("Only partly available: check that it covers your sessions."))
    groups = getattr(fact, "plan_groups", None)
    if groups:
        # The state recorded on each plan says what the plan scope says in words: once.
        by_plan = "; ".join(f"{g['label']} on {', '.join(g['plans'])}" for g in groups)
        depends = _("Differs by plan (%(scope)s)") % {"scope": by_plan}
    elif fact.plan_scope:
        depends = _("Depends on the plan or account (%(scope)s)") % {"scope": fact.plan_scope}
    if groups or fact.plan_scope:
        confirm = _("%(depends)s: confirm yours is covered.")
        if criterion.group == Criterion.Group.COMPLIANCE:
            confirm = _("%(depends)s: confirm yours is covered and that the agreement is signed.")
        reasons.append(confirm % {"depends": depends})
    if fact.contested:
        reasons.append(_("Contested: check the vendor’s current documentation."))
    elif fact.strength == "third_party":
        reasons.append(_("Only third parties say so: confirm it with the vendor."))
    if not reasons:
        reasons.append(
            _("%(state)s on %(p)s, not what is recommended: check the setting.")
            % {"state": fact.get_state_display(), "p": platform_name}
        )
    return " ".join(reasons)


def switch_on_action(fact, platform_name):
    """Switch it on; where plans differ, on which plans that can be done and which lack it."""
    action = _("Off by default on %(p)s: switch it on in the settings.") % {"p": platform_name}
    groups = {g["state"]: g["plans"] for g in getattr(fact, "plan_groups", None) or []}
    if not groups:
        return action
    parts = [
        _("Off by default on %(p)s: switch it on in the settings on %(plans)s.")
        % {
            "p": platform_name,
            "plans": get_text_list(groups.pop(State.OFF_BY_DEFAULT, []), _("and")),
        }
        if State.OFF_BY_DEFAULT in groups
        else action
    ]
    lacking = groups.pop(State.NO, [])
    if lacking:
        parts.append(
            ngettext("%(plans)s lacks it.", "%(plans)s lack it.", len(lacking))
            % {"plans": get_text_list(lacking, _("and"))}
        )
    for state, plans in groups.items():
        parts.append(
            _("%(state)s on %(plans)s.")
            % {"state": State(state).label, "plans": get_text_list(plans, _("and"))}
        )
    return " ".join(parts)


def criterion_order(criterion):
    return (criterion.group_order, criterion.order, criterion.slug)


def fact_items(platform_name, criteria, facts):
    """{section: [Item]} for every safety criterion, in the criteria's order.

    `facts` maps criterion pk to the platform's Fact (a missing key counts as unknown)."""
    by_section = {kind: [] for kind in SectionKind if kind != SectionKind.UPDATE}
    for criterion in sorted(criteria, key=criterion_order):
        if not criterion.on_checklist:
            continue
        fact = facts.get(criterion.pk)
        section = section_for(fact, criterion)
        if section is None:
            continue
        by_section[section].append(
            Item(
                title=criterion.label,
                action=fact_action(section, fact, criterion, platform_name),
                why=criterion.why_it_matters,
                criterion=criterion,
                fact=fact,
                sources=sources_of(fact),
            )
        )
    return by_section


CLIENT_VERSION_RE = re.compile(r"\d+\.\d+")
VERSION_RE = re.compile(r"\d+(?:\.\d+)+")
PARENTHESES_RE = re.compile(r"\s*\([^)]*\)")
NOT_KNOWN_FIXED = {Incident.Status.OPEN, Incident.Status.UNKNOWN}


def names_client_version(incident):
    """True when the fix shipped in a numbered client release (not only on the vendor's side)."""
    return bool(CLIENT_VERSION_RE.search(incident.fixed_in))


def versions_in(text):
    """The versions a fixed-in text names, as tuples of ints: "5.16.10" sorts after "5.16.5"."""
    return [tuple(int(n) for n in v.split(".")) for v in VERSION_RE.findall(text)]


def short_title(title):
    """An incident's title without its parenthesised detail, for the grouped update's list."""
    return PARENTHESES_RE.sub("", title).strip() or title


def newest_first(incident):
    day = incident.fixed_on or incident.disclosed_on
    return (day is None, -(day.toordinal() if day else 0), incident.title)


def update_items(incidents, platform_name):
    """Open incidents first, each its own item, then one item for every client-side fix.

    A fix in a numbered client version matters for as long as anyone runs an older client,
    so those stay on the list however old; they share one action (update the app), so they
    are one item naming the newest version and, per flaw, its version and sources. Fixes
    made on the vendor's servers need nothing from the therapist and are left out."""
    items = []
    not_fixed = [i for i in incidents if i.status in NOT_KNOWN_FIXED]
    client_fixes = [
        i for i in incidents if i.status not in NOT_KNOWN_FIXED and names_client_version(i)
    ]
    for incident in sorted(not_fixed, key=newest_first):
        status = _("Not known to be fixed (status: %(status)s).") % {
            "status": incident.get_status_display().lower()
        }
        why = _("Until it is fixed, the flaw can still affect your sessions.")
        items.append(incident_item(incident, f"{status} {incident.mitigation}".strip(), why))
    if client_fixes:
        items.append(app_update_item(sorted(client_fixes, key=newest_first), platform_name))
    return items


def app_update_item(incidents, platform_name):
    """One item for every flaw fixed in a client version: update to the newest of them.

    The newest version any fix names is the one to insist on: at or past it, every listed fix
    is in (a fixed-in text may name several products' versions; the highest covers them all)."""
    fixes = [
        Fix(
            title=short_title(incident.title),
            version=PARENTHESES_RE.sub("", incident.fixed_in).strip(),
            incident=incident,
            sources=sources_of(incident),
        )
        for incident in incidents
    ]
    newest = max(v for incident in incidents for v in versions_in(incident.fixed_in))
    action = ngettext(
        "It fixes %(n)d known flaw, fixed in the version shown:",
        "It fixes %(n)d known flaws, each fixed in the version shown:",
        len(fixes),
    ) % {"n": len(fixes)}
    return Item(
        title=_("Update the %(p)s app to at least %(version)s")
        % {"p": platform_name, "version": ".".join(str(n) for n in newest)},
        action=action,
        why=_("Anyone on an older version still has these flaws."),
        fixes=fixes,
    )


def incident_item(incident, action, why):
    return Item(
        title=incident.title,
        action=action,
        why=why,
        incident=incident,
        sources=sources_of(incident),
    )


def habit_items(criteria, facts):
    """The habits for every platform, from the criteria that carry one, in the criteria's
    order; each cites the platform's fact for its row, if it has one."""
    items = []
    for criterion in sorted(criteria, key=criterion_order):
        if not criterion.habit:
            continue
        fact = facts.get(criterion.pk)
        items.append(
            Item(
                title=criterion.habit,
                action="",
                why=criterion.habit_why,
                criterion=criterion if fact else None,
                fact=fact,
                sources=sources_of(fact),
            )
        )
    return items


def build_checklist(platform, criteria, facts, incidents):
    """The checklist's sections in print order (empty ones dropped) and the habits.

    `facts` is the platform's facts, saved, each with its criterion, per-plan states and
    citations loaded (Fact.objects.with_evidence()) and `platform.plans` likewise. Each fact
    gets its per-plan reading here, so a plan-dependent fact is sorted the same whoever
    calls this."""
    facts, criteria = list(facts), list(criteria)
    attach_plan_states(platform, facts)
    by_pk = {fact.criterion_id: fact for fact in facts}
    by_section = fact_items(platform.name, criteria, by_pk)
    by_section[SectionKind.UPDATE] = update_items(incidents, platform.name)
    sections = [Section(kind, by_section[kind]) for kind in SectionKind if by_section[kind]]
    return sections, habit_items(criteria, by_pk)
