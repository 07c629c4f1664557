import functools
import html

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from platforms.models import State, loaded

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
    if fact is None:
        prefix = f"{esc(label)}: " if label else ""
        return SafeString(  # the label escaped
            '<span class="state state-unknown"><span class="icon" aria-hidden="true">?</span> '
            f"{prefix}No entry yet</span>\n"
        )
    state = State(fact.state)
    words, verdict, advice = state.label, "", None
    if state == State.UNKNOWN:
        verdict = "unknown"
    elif need:
        verdict = "met" if fact.meets_need else "unmet"
    else:
        advice = fact.criterion.advice_for(fact.state)
        words = ADVICE_WORDS.get(advice, state.label)
    classes = f"state state-{fact.state}"
    if verdict:
        classes += f" verdict-{verdict}"
    if advice:
        classes += f" advice-{advice}"
    if plan_groups := getattr(fact, "plan_groups", None):
        reading = " · ".join(
            f"{esc(group['label'])} on {esc(', '.join(group['plans']))}" for group in plan_groups
        )
        reading = f'<span class="by-plan">{reading}</span>'
    else:
        reading = esc(words)
    parts = [
        f'<span class="{esc(classes)}"><span class="icon" aria-hidden="true">'
        f"{STATE_ICONS[state]}</span> ",
        f'<span class="state-label">{esc(label)}:</span> ' if label else "",
        reading,
        f" ({esc(fact.detail)})" if fact.detail else "",
        VERDICT_HTML.get(verdict, ""),
    ]
    code = fact.strength if strength else None
    if code in STRENGTHS:
        icon, strength_words = STRENGTHS[code]
        parts.append(
            f' <span class="strength strength-{esc(code)}"><span aria-hidden="true">{icon}'
            f"</span> {esc(strength_words)}</span>"
        )
    return SafeString("".join(parts) + "</span>\n")  # every part escaped above


def esc(value):
    """Django's conditional_escape (text escaped, safe HTML kept as it is) without its
    lazy-argument wrapper, which cost more than the escaping in these hot tags; the same
    names, labels and dates recur in every cell, so their escaped text is kept."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escaped(str(value))


escaped = functools.lru_cache(maxsize=16384)(html.escape)

# The tags below return SafeString(...) of text they escaped part by part: what mark_safe
# returns for a str, without its lazy-argument wrapper (a fifth of a comparison cell).


VERDICT_HTML = {
    "met": SafeString(' <span class="verdict">(meets the need)</span>'),
    "unmet": SafeString(' <span class="verdict">(falls short)</span>'),
}


# The tags below are written out in Python for the same reason as fact_state: they are
# repeated for every fact, path and incident of a page.


@register.simple_tag(name="date_time")
def time_html(value):
    """A <time> with the ISO date, showing it as the pages do ("3 Mar 2026")."""
    if not value:
        return SafeString('<time datetime=""></time>')
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
    checked = time_html(fact.verified_on)
    if fact.state == State.UNKNOWN:
        html_text = f'<p class="meta dates">Searched on {checked}, not found.</p>\n'
    else:
        evidence_from = fact.evidence_from
        newest = time_html(evidence_from) if evidence_from else "undated pages"
        html_text = f'<p class="meta dates">Checked on {checked} · Evidence from {newest}</p>\n'
    return SafeString(html_text)  # two <time> tags of dates


@register.simple_tag
def refs(numbers):
    """Footnote marks for the sources a place cites (compare.presentation.Footnotes)."""
    marks = "".join(
        f'<sup class="ref"><a href="#source-{n}" id="{esc(n.anchor)}" aria-label="Source {n}">'
        f"[{n}]</a></sup>"
        for n in numbers or ()
    )
    return SafeString(marks + "\n")  # numbers, and the anchors escaped


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
        reason = esc(item.contested_reason)
        contested = (
            '<details class="marker marker-contested"><summary><span aria-hidden="true">⚖'
            f"</span> Contested</summary><p>{reason}</p></details>"
            f'<span class="marker marker-contested print-only">⚖ Contested: {reason}</span>'
        )
    stale = STALE_HTML if getattr(item, "is_stale", False) else ""
    old = OLD_EVIDENCE_HTML if getattr(item, "has_old_evidence", False) else ""
    return SafeString(f"{stale}\n{old}\n{contested}\n")  # the reason escaped


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
    platform, criterion = fact.platform, fact.criterion
    url = suggestion_url(platform.slug, criterion.slug)
    count = getattr(fact, "open_corrections", 0) if show_open else 0
    open_note = ""
    if count:
        words = ngettext("%(count)d correction open", "%(count)d corrections open", count)
        words %= {"count": count}
        open_note = f' <span class="open-corrections">{esc(words)}</span>'
    return SafeString(  # every part escaped
        f'<span class="correction"><a class="suggest-correction" href="{esc(url)}">Suggest a '
        f'correction<span class="visually-hidden"> to {esc(criterion.label)} on '
        f"{esc(platform.name)}</span></a>{open_note}</span>\n"
    )


@functools.lru_cache(maxsize=8192)
def suggestion_url(platform_slug, criterion_slug):
    # The URLconf never changes while the process runs; reverse() took a fifth of the
    # compare page's cells.
    return reverse("corrections:suggest", args=[platform_slug, criterion_slug])


CELL_BREAK = "\n" + " " * 12  # as the compare template indents a cell's parts


@register.simple_tag
def comparison_cell(platform, fact):
    """One cell of the comparison table: the fact's state, its footnote marks, plan scope,
    dates, markers, review marker and correction link. One tag, not one per part: with four
    platforms the table has over a hundred cells."""
    parts = [fact_state(fact)]
    if fact:
        scope = (
            f'<span class="scope">Plans: {esc(fact.plan_scope)}</span>' if fact.plan_scope else ""
        )
        parts += [
            refs(fact.refs),
            CELL_BREAK,
            scope,
            CELL_BREAK,
            evidence_dates(fact),
            CELL_BREAK,
            markers(fact),
            CELL_BREAK,
            review_marker(fact),
            CELL_BREAK,
            correction_link(fact),
        ]
    cell = "".join(parts)
    return SafeString(f'<td data-platform="{esc(platform.name)}">{cell}</td>')  # escaped


@register.simple_tag
def diagram_path(path):
    """One encryption path as a diagram (compare.diagrams annotates its `nodes` and
    `summary`): its hops in order, where the media is decrypted and who holds the key."""
    nodes = "".join(
        '\n    <li class="enc-node'
        f"{' enc-vendor' if node.vendor else ''}{' enc-decrypts' if node.decrypts else ''}"
        f'{" enc-key" if node.holds_key else ""}">\n'
        f'      <span class="enc-label">{esc(node.label)}</span>\n      '
        f"{DECRYPTS_HTML if node.decrypts else RELAYS_HTML if node.relays_encrypted else ''}"
        f"\n      {HOLDS_KEY_HTML if node.holds_key else ''}\n    </li>\n    "
        for node in path.nodes
    )
    unknown_at = UNKNOWN_AT_HTML if path.decrypted_at == "unknown" else ""
    unknown_key = UNKNOWN_KEY_HTML if path.key_holder == "unknown" else ""
    return SafeString(  # every part escaped
        f'<figure class="enc-path{" enc-contested" if path.contested else ""}" '
        f'id="diagram-{esc(path.connection)}">\n'
        f"  <figcaption><strong>{esc(path.get_connection_display())}</strong>"
        f"{refs(path.refs)}</figcaption>\n"
        f'  <ol class="enc-flow" aria-hidden="true">\n    {nodes}\n  </ol>\n'
        f'  <p class="visually-hidden">{esc(path.summary)}</p>\n'
        f"  {unknown_at}\n  {unknown_key}\n  {markers(path)}\n</figure>\n"
    )


DECRYPTS_HTML = (
    '<span class="enc-mark enc-mark-decrypt"><span class="enc-icon">◉</span> Decrypted here</span>'
)
RELAYS_HTML = (
    '<span class="enc-mark enc-mark-relay"><span class="enc-icon">◌</span> Passes it on '
    "encrypted</span>"
)
HOLDS_KEY_HTML = (
    '<span class="enc-mark enc-mark-key"><span class="enc-icon">⚷</span> Holds the key</span>'
)
ARROW_HTML = '<span class="enc-arrow">→</span>'
UNKNOWN_AT_HTML = (
    '<p class="enc-unknown"><span aria-hidden="true">?</span> Where the media is decrypted is '
    "unknown.</p>"
)
UNKNOWN_KEY_HTML = (
    '<p class="enc-unknown"><span aria-hidden="true">?</span> Who holds the key is unknown.</p>'
)


@register.simple_tag
def compact_diagram(diagram):
    """A platform's encryption paths in the comparison (compare.diagrams.diagram): for each,
    a row of hops, then the same in words."""
    if not diagram["all"]:
        return SafeString(
            '\n\n<p class="enc-unknown"><span aria-hidden="true">?</span> No encryption path '
            "documented: treat where the media is decrypted as unknown.</p>\n\n"
        )
    items = []
    for path in diagram["all"]:
        last = len(path.nodes) - 1
        flow = "".join(
            '<span class="enc-dot'
            f"{' enc-vendor' if node.vendor else ''}{' enc-decrypts' if node.decrypts else ''}"
            f'" title="{esc(node.label)}">{"◉" if node.decrypts else ""}'
            f"{'⚷' if node.holds_key else ''}"
            f"{'·' if not node.decrypts and not node.holds_key else ''}</span>"
            f"{ARROW_HTML if index < last else ''}"
            for index, node in enumerate(path.nodes)
        )
        items.append(
            f'\n  <li class="enc-compact-path{" enc-contested" if path.contested else ""}">\n'
            f'    <span class="enc-compact-conn">{esc(path.get_connection_display())}</span>'
            f"{refs(path.refs)}\n"
            f'    <span class="enc-compact-flow" aria-hidden="true">{flow}</span>\n'
            '    <span class="enc-compact-text"><span aria-hidden="true">◉</span> Decrypted at: '
            f"{esc(path.get_decrypted_at_display().lower())}. "
            '<span aria-hidden="true">⚷</span> Key: '
            f"{esc(path.get_key_holder_display().lower())}.</span>\n"
            f"    {markers(path)}\n  </li>\n  "
        )
    return SafeString(  # every part escaped
        '\n\n<ul class="enc-compact">\n  ' + "".join(items) + "\n</ul>\n\n"
    )


FACT_BREAK = "\n" + " " * 10  # as the platform template indents a fact's parts


@register.simple_tag
def platform_fact(fact, criteria_url):
    """One fact of the platform page: the criterion, the state with its footnote marks,
    plan scope, note, dates, markers, review marker, correction link and quotes. One tag
    for the same reason as the cells: a platform has about thirty facts."""
    criterion = fact.criterion
    slug = esc(criterion.slug)
    scope = f'<p class="scope">Plans: {esc(fact.plan_scope)}</p>' if fact.plan_scope else ""
    note = f'<p class="note">{esc(fact.note)}</p>' if fact.note else ""
    return SafeString(  # every part escaped
        f'\n      <div class="fact" id="fact-{slug}">\n'
        f'        <dt><a href="{esc(criteria_url)}#{slug}">{esc(criterion.label)}</a></dt>\n'
        f"        <dd>{FACT_BREAK}<p>{fact_state(fact)}{refs(fact.refs)}</p>{FACT_BREAK}"
        f"{scope}{FACT_BREAK}{note}{FACT_BREAK}{evidence_dates(fact)}{FACT_BREAK}"
        f"{markers(fact)}{FACT_BREAK}{review_marker(fact)}{FACT_BREAK}"
        f'<p class="fact-actions">{correction_link(fact, show_open=True)}</p>{FACT_BREAK}'
        f"{quotes(loaded(fact, 'citations'))}\n        </dd>\n      </div>\n      "
    )


@register.simple_tag
def comparison_body(row_groups, platforms, only_differences, criteria_url):
    """The comparison table's body (compare.comparison.grouped_rows): a group heading row,
    then for each criterion (all, or only those that differ) its label and one cell per
    platform."""
    width = len(platforms) + 1
    url = esc(criteria_url)
    groups = []
    for group in row_groups:
        if not group["shown"]:
            continue
        rows = []
        for row in group["items"]:
            differs = row["differs"]
            if not differs and only_differences:
                continue
            criterion = row["criterion"]
            cells = "".join(
                f"\n          {comparison_cell(platform, fact)}\n          "
                for platform, fact in row["columns"]
            )
            rows.append(
                f"\n        <tr{DIFFERS_ROW if differs else ''}>\n"
                f'          <th scope="row" class="criterion-col"><a href="{url}#'
                f'{esc(criterion.slug)}">{esc(criterion.label)}</a>\n'
                f"            {DIFFERS_MARK if differs else ''}</th>\n          {cells}\n"
                "        </tr>\n        "
            )
        groups.append(
            "\n      <tbody>\n"
            f'        <tr class="group-row"><th scope="colgroup" colspan="{width}">'
            f"{esc(group['label'])}</th></tr>\n        {''.join(rows)}\n      </tbody>\n      "
        )
    return SafeString("".join(groups))  # every part escaped


DIFFERS_ROW = ' class="differs"'
DIFFERS_MARK = '<span class="differs-mark"><span aria-hidden="true">≠</span> differs</span>'


@register.simple_tag
def footnote_list(footnotes):
    """The page's numbered sources (compare.presentation.Footnotes), each with its links
    back to where it is cited: a tag rather than a template for the same reason as the
    cells, a dozen variables for each of up to fifty sources."""
    if not footnotes:
        return SafeString("\n")
    items = []
    for number, source, places in footnotes:
        url = esc(source.url)
        published = f"dated {time_html(source.published_on)}" if source.published_on else "undated"
        if len(places) == 1:
            back = (
                f'<a href="#{esc(places[0].anchor)}" aria-label="Back to where source {number} '
                'is cited">↩ Back</a>'
            )
        else:
            back = "Back to where it is cited:" + "".join(
                f' <a href="#{esc(place.anchor)}" aria-label="Back to citation {counter} of '
                f'source {number}">↩ {counter}</a>'
                for counter, place in enumerate(places, 1)
            )
        items.append(
            f'\n    <li id="source-{number}" value="{number}">\n'
            f'      <a class="source-title" href="{url}" rel="noopener noreferrer">'
            f'{esc(source.title)}</a><span class="source-sep">,</span>\n'
            f'      <span class="source-publisher">{esc(source.publisher)}</span> '
            f'<span class="source-meta">({esc(str(source.get_kind_display()).lower())}),\n'
            f"      {published};\n"
            f"      accessed {time_html(source.accessed_on)}</span>"
            f'<span class="source-url print-only"> {url}</span>\n'
            f'      <span class="backrefs">{back}</span>\n'
            "    </li>\n    "
        )
    return SafeString(  # every part escaped
        '\n<section class="footnotes" aria-labelledby="sources-heading">\n'
        '  <h2 id="sources-heading">Sources</h2>\n  <ol>\n    '
        + "".join(items)
        + "\n  </ol>\n</section>\n\n"
    )


@register.simple_tag
def quotes(citations):
    """What each cited source says, in a <details>: the quoted sentence (or that none is
    recorded yet), the footnote number, the source and when it was seen there. A tag, as
    the platform page shows it for each of its facts."""
    citations = list(citations)
    if not citations:
        return SafeString("\n")
    summary = ngettext(
        "What the source says", "What the %(counter)s sources say", len(citations)
    ) % {"counter": len(citations)}
    items = []
    for citation in citations:
        source = citation.source
        url = esc(source.url)
        if citation.quote:
            said = f'<blockquote cite="{url}"><p>“{esc(citation.quote)}”</p></blockquote>'
        else:
            said = '<p class="marker">No quote recorded for this source yet.</p>'
        ref = getattr(citation, "ref", None)
        items.append(
            f"<li>{said}\n"
            f'    <p class="meta">{f"[{ref}] " if ref else ""}'
            f'<a href="{url}" rel="noopener noreferrer">{esc(source.title)}</a>, '
            f"{esc(source.publisher)} ({esc(str(source.get_kind_display()).lower())}), seen "
            f"{time_html(citation.seen_on)}</p></li>"
        )
    return SafeString(  # every part escaped
        f'<details class="quotes"><summary>{esc(summary)}</summary>\n  <ul>'
        + "".join(items)
        + "</ul>\n</details>\n"
    )


@register.simple_tag
def need_checkboxes(need_options):
    """The list's need checkboxes (PlatformListView's `need_options`), ticked as the link
    asks, each with how many results adding it would leave."""
    items = []
    for option in need_options:
        criterion = option["criterion"]
        slug = esc(criterion.slug)
        checked = " checked" if option["checked"] else ""
        items.append(
            f'\n        <li>\n          <input type="checkbox" name="need" value="{slug}" '
            f'id="need-{slug}"{checked}>\n          <label for="need-{slug}">'
            f"{esc(criterion.need_label)}\n"
            f'            <span class="facet" id="facet-{slug}">{facet(option["count"])}</span>'
            "</label>\n        </li>\n        "
        )
    return SafeString("".join(items))  # every part escaped


@register.simple_tag
def facet_swaps(need_options):
    """The need counts again, for htmx to put in place beside the checkboxes when only the
    results are fetched."""
    return SafeString(  # slugs escaped, counts are numbers
        "".join(
            f'<span id="facet-{esc(option["criterion"].slug)}" hx-swap-oob="innerHTML">'
            f"{facet(option['count'])}</span>\n"
            for option in need_options
        )
    )


def facet(count):
    """How many results adding a need would leave (None: not counted)."""
    if count is None:
        return "\n"
    return (
        f'<span class="visually-hidden">, </span>{int(count)}'
        '<span class="visually-hidden"> would match</span>\n'
    )


def platform_card(platform, needs, vendor_only):
    """A result's card in the list (compare.presentation.with_shown_facts loads what it
    shows): name, vendor, summary, the badge facts, with chosen needs how far it meets them
    and on which plans, its cheapest such plan, and the box that adds it to a comparison.
    Written out here, as the cells are: thirty cards a page, and a template render each was
    a quarter of a new search's time."""
    name, slug = esc(platform.name), esc(platform.slug)
    badges = "".join(
        f"<li>{fact_state(fact, fact.criterion.label)}</li>" for fact in platform.badges
    )
    chosen = ""
    if needs:
        n, met = len(needs), platform.needs_met
        if met == n:
            meets = ngettext("Meets your need", "Meets all %(counter)s of your needs", n)
        else:
            meets = ngettext(
                "Meets %(met)s of your %(counter)s need at best",
                "Meets %(met)s of your %(counter)s needs at best",
                n,
            )
        meets = esc(meets % {"counter": n, "met": met})
        if vendor_only:
            meets += ", counting only what the vendor states"
        lines = ""
        if platform.plan_lines:
            lines = "".join(f"<li>{esc(line)}</li>" for line in platform.plan_lines)
            lines = f'<ul class="plan-lines">{lines}</ul>'
        weaker = ""
        if platform.needs_evidence:
            weaker = "; ".join(
                fact_state(fact, fact.criterion.need_label, need=True)
                for fact in platform.needs_evidence
            )
            weaker = f'<p class="evidence-note">Weaker evidence: {weaker}.</p>'
        chosen = (
            f'\n  <div class="needs-met">\n    <p>{meets}.</p>\n    {lines}\n    {weaker}\n'
            "  </div>\n  "
        )
    cheapest = f'<p class="cheapest">{esc(platform.cheapest)}</p>' if platform.cheapest else ""
    return SafeString(  # every part escaped
        '\n<li class="card">\n'
        f'  <h3 class="card-title"><a href="{esc(platform.get_absolute_url())}">{name}</a></h3>\n'
        f'  <p class="vendor">{esc(platform.vendor)}</p>\n'
        f"  <p>{esc(platform.summary)}</p>\n"
        f'  <ul class="badges" aria-label="Key facts for {name}">\n    {badges}\n  </ul>\n'
        f"  {chosen}\n"
        f"  {cheapest}\n"
        '  <p class="add-compare">\n'
        f'    <input type="checkbox" name="p" value="{slug}" id="compare-{slug}" '
        'hx-preserve="true">\n'
        f'    <label for="compare-{slug}">Add {name} to the comparison</label>\n'
        "  </p>\n</li>\n"
    )
