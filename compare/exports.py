"""Downloads: the published dataset, the list page's filter and a comparison, as CSV or JSON.

Every export is the page it comes from, in another format: the list export uses the list
page's FilterSet (compare/filters.py), the comparison export the comparison's parsing and rows
(compare/comparison.py), and the cells are the dataset serializer's (platforms/dataset.py).
See README.md, "Exports".
"""

import csv
import io
import json

from django.http import HttpResponse, HttpResponseBadRequest, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from platforms.dataset import SCHEMA_VERSION, build_dataset, fact_sources
from platforms.models import Criterion, Platform, State

from .comparison import comparison_rows, load_comparison
from .csvsafe import csv_cell
from .filters import PlatformFilter

FORMATS = ("csv", "json")
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"

# One row per platform × criterion, for /platforms.csv and the list's /list.csv.
DATASET_COLUMNS = [
    "platform",
    "platform_slug",
    "group",
    "criterion",
    "criterion_slug",
    "recommended",
    "state",
    "state_label",
    "meets_recommendation",
    "advice",
    "by_plan",
    "strength",
    "plan_scope",
    "detail",
    "note",
    "checked_on",
    "evidence_from",
    "contested",
    "contested_reason",
    "sources",
]
FACT_COLUMNS = [
    "state",
    "state label",
    "by plan",
    "strength",
    "plan scope",
    "note",
    "checked on",
    "evidence from",
    "contested",
    "sources",
]
ADVICE_WORDS = {
    "as-recommended": "as recommended",
    "switch-on": "available, switch it on",
    "switch-off": "on by default, switch it off",
    "not-recommended": "not as recommended",
    "unknown": "unknown",
}
STRENGTH_WORDS = {
    "vendor": "vendor-stated",
    "third_party": "third-party only",
    "contested": "contested",
    None: "",
}


def sources_cell(sources):
    """Each source with its kind and, for a fact's citation, the quoted sentence."""
    return "; ".join(
        f"{s['title']} ({s['kind'].replace('_', ' ')}) <{s['url']}>"
        + (f" “{s['quote']}”" if s.get("quote") else "")
        for s in sources
    )


def by_plan_cell(fact):
    return "; ".join(f"{plan}: {state_label(state)}" for plan, state in fact["by_plan"].items())


def attachment(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_response(header, rows, filename):
    # A byte-order mark lets spreadsheet programs read UTF-8 (’ · é) correctly.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    # Header cells too: /compare.csv's name the platforms, which an editor typed.
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return attachment(buffer.getvalue(), CSV_TYPE, filename)


def json_response(data, filename):
    return attachment(json.dumps(data, indent=1, ensure_ascii=False), JSON_TYPE, filename)


def bad_request(messages):
    text = "\n".join([_("This export can’t be made:"), *(f"- {m}" for m in messages), ""])
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


def state_label(state):
    return str(State(state).label)


def dataset_rows(dataset):
    """The dataset dict (build_dataset's shape) as rows of DATASET_COLUMNS."""
    for platform in dataset["platforms"]:
        for criterion in dataset["criteria"]:
            fact = platform["facts"].get(criterion["slug"])
            advice = Criterion(recommended=criterion["recommended"]).advice_for(
                fact["state"] if fact else State.UNKNOWN
            )
            row = [
                platform["name"],
                platform["slug"],
                criterion["group"],
                criterion["label"],
                criterion["slug"],
                criterion["recommended"],
            ]
            if not fact:
                unknown = [State.UNKNOWN.value, _("No entry yet"), False, ADVICE_WORDS[advice]]
                yield [*row, *unknown, *[""] * (len(DATASET_COLUMNS) - len(row) - len(unknown))]
                continue
            yield [
                *row,
                fact["state"],
                state_label(fact["state"]),
                advice == "as-recommended",
                ADVICE_WORDS[advice],
                by_plan_cell(fact),
                STRENGTH_WORDS[fact["strength"]],
                fact["plan_scope"],
                fact["detail"],
                fact["note"],
                fact["checked_on"],
                fact["evidence_from"] or "undated",
                fact["contested"],
                fact["contested_reason"],
                sources_cell(fact_sources(dataset, fact)),
            ]


@require_safe
def dataset_csv(request):
    """/platforms.csv: the whole published dataset, one row per platform × criterion."""
    return csv_response(DATASET_COLUMNS, dataset_rows(build_dataset()), "platforms.csv")


def dataset_of(platforms):
    """build_dataset for these platforms, kept in the order given."""
    order = {p.pk: i for i, p in enumerate(platforms)}
    queryset = Platform.objects.filter(pk__in=order)
    data = build_dataset(queryset)
    slug_order = {p.slug: order[p.pk] for p in platforms}
    data["platforms"].sort(key=lambda p: slug_order[p["slug"]])
    return data


@require_safe
def list_export(request, fmt):
    """/list.csv and /list.json: the list page's filter (the same FilterSet and parameters) as
    a download. Every result, not one page; when nothing meets every need, the closest
    matches the page shows. Built from the filtered queryset alone: no facets, no cards."""
    filterset = PlatformFilter(request.GET, queryset=Platform.objects.published().order_by("name"))
    if filterset.errors:
        return bad_request(
            f"{field}: {message}"
            for field, messages in filterset.errors.items()
            for message in messages
        )
    if ignored := filterset.ignored_needs:
        # The list page applies the other needs and says which it ignored; a file cannot
        # carry that warning, so it is not made from a half-read link.
        return bad_request([ignored_needs_message(ignored)])
    needs = filterset.chosen_needs
    platforms, matches = list(filterset.qs), "all"
    if needs and not platforms:
        platforms, matches = list(filterset.closest_matches()), "closest"
    data = dataset_of(platforms)
    if fmt == "csv":
        return csv_response(DATASET_COLUMNS, dataset_rows(data), "platforms-filtered.csv")
    # A listed platform has a plan that meets every need; a closest match says how many.
    needs_met = {p.slug: p.needs_met if matches == "closest" else len(needs) for p in platforms}
    for platform in data["platforms"]:
        platform["needs_met"] = needs_met[platform["slug"]]
    data["query"] = {
        "q": filterset.form.cleaned_data.get("q") or "",
        "need": [c.slug for c in needs],
        "sort": filterset.form.cleaned_data.get("sort") or "name",
    }
    data["matches"] = matches
    return json_response(data, "platforms-filtered.json")


def ignored_needs_message(values):
    names = ", ".join(f"“{value[:40]}”" for value in values[:5])
    text = ngettext(
        "need: %(names)s is not a need this site knows; remove it from the link.",
        "need: %(names)s are not needs this site knows; remove them from the link.",
        len(values),
    )
    return text % {"names": names}


def moved_list_export(request):
    """`/?format=csv|json`, where the list's downloads were before /list.csv and /list.json:
    a permanent redirect there, with the same filter, so that shared links keep working."""
    formats = request.GET.getlist("format")
    if len(formats) != 1 or formats[0] not in FORMATS:
        return bad_request(
            [_("“format” takes csv or json; the downloads are at /list.csv and /list.json.")]
        )
    query = request.GET.copy()
    del query["format"]
    query.pop("page", None)
    url = reverse(f"compare:list-{formats[0]}")
    return HttpResponsePermanentRedirect(f"{url}?{query.urlencode()}" if query else url)


def comparison_data(platforms, rows, only_differences):
    """The comparison in the dataset's own shapes (platforms/dataset.py), row by row."""
    dataset = dataset_of(platforms)
    criteria = {c["slug"]: c for c in dataset["criteria"]}
    # In the page's order: by group, then by the criterion's place in it.
    shown = sorted(
        (row for row in rows if row["differs"] or not only_differences),
        key=lambda row: (row["criterion"].group_order, row["criterion"].order),
    )
    return {
        "schema": SCHEMA_VERSION,
        "generated_at": dataset["generated_at"],
        "only_differences": only_differences,
        "row_count": len(rows),
        "differing": sum(row["differs"] for row in rows),
        "sources": dataset["sources"],
        "platforms": [
            {key: p[key] for key in ("slug", "name", "vendor", "website", "encryption_paths")}
            for p in dataset["platforms"]
        ],
        "rows": [
            {
                "criterion": criteria[row["criterion"].slug],
                "differs": row["differs"],
                "cells": {
                    p["slug"]: p["facts"].get(row["criterion"].slug) for p in dataset["platforms"]
                },
            }
            for row in shown
        ],
    }


def comparison_csv_rows(data):
    for row in data["rows"]:
        criterion = row["criterion"]
        cells = []
        for platform in data["platforms"]:
            fact = row["cells"][platform["slug"]]
            if fact is None:
                cells += [State.UNKNOWN.value, _("No entry yet"), *[""] * 6, False, ""]
                continue
            cells += [
                fact["state"],
                state_label(fact["state"]),
                by_plan_cell(fact),
                STRENGTH_WORDS[fact["strength"]],
                fact["plan_scope"],
                fact["note"],
                fact["checked_on"],
                fact["evidence_from"] or "undated",
                fact["contested"],
                sources_cell(fact_sources(data, fact)),
            ]
        yield [
            criterion["group"],
            criterion["label"],
            criterion["slug"],
            criterion["recommended"],
            row["differs"],
            *cells,
        ]


@require_safe
def comparison_export(request, fmt):
    """/compare.csv and /compare.json: exactly the comparison /compare/ shows for the query."""
    comparison = load_comparison(request.GET)
    if comparison.errors:
        return bad_request(comparison.errors)
    platforms, only_differences = comparison.platforms, comparison.only_differences
    data = comparison_data(platforms, comparison_rows(platforms), only_differences)
    # Only the differing rows is another table than the full comparison: another file name.
    suffix = "-differences" if only_differences else ""
    filename = "compare-" + "-".join(p.slug for p in platforms) + f"{suffix}.{fmt}"
    if fmt == "json":
        return json_response(data, filename)
    header = ["group", "criterion", "criterion_slug", "recommended", "differs"]
    for platform in data["platforms"]:
        header += [f"{platform['name']}: {column}" for column in FACT_COLUMNS]
    return csv_response(header, comparison_csv_rows(data), filename)
