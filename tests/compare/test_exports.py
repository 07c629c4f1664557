"""Exports agree with the page they come from, carry sources, and are safe in a spreadsheet."""

import csv
import io
import json
import re

import pytest
from django.db.models import Prefetch

from compare.csvsafe import csv_cell
from compare.exports import DATASET_COLUMNS
from platforms.models import Criterion, Fact, Platform, State
from platforms.needs import PlanMatrix

from .test_pages import BAD_COMPARISONS

pytestmark = pytest.mark.django_db

CSV_TYPE = "text/csv; charset=utf-8"


def read_csv(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == CSV_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="')
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_json(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    return json.loads(response.content)


def in_order(values):
    return list(dict.fromkeys(values))


def page_offering(client, url, *links):
    """The page at `url`, checked to answer 200 and to hold each of its download `links`."""
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for link in links:
        assert link in html, link
    return page


STRENGTH_WORDS = {
    "vendor": "vendor-stated",
    "third_party": "third-party only",
    "contested": "contested",
    None: "",
}


def test_dataset_csv_has_every_published_cell_with_sources(client, seeded):
    response = client.get("/platforms.csv")
    rows = read_csv(response)
    assert response["Content-Disposition"] == 'attachment; filename="platforms.csv"'
    assert list(rows[0]) == DATASET_COLUMNS
    published = list(
        Platform.objects.published().prefetch_related(
            "plans", Prefetch("facts", queryset=Fact.objects.with_evidence())
        )
    )
    assert len(rows) == len(published) * Criterion.objects.count()
    by_cell = {(r["platform_slug"], r["criterion_slug"]): r for r in rows}
    quoted = 0
    for platform in published:
        matrix = PlanMatrix(platform)
        for fact in platform.facts.all():
            row = by_cell[(platform.slug, fact.criterion.slug)]
            assert row["state"] == fact.state
            assert row["plan_scope"] == csv_cell(fact.plan_scope)
            # "Checked on" (when someone compared the claim with its sources) is not
            # "evidence from" (the newest dated page it cites).
            assert row["checked_on"] == fact.verified_on.isoformat()
            evidence = fact.evidence_from
            assert row["evidence_from"] == (evidence.isoformat() if evidence else "undated")
            assert row["strength"] == STRENGTH_WORDS[fact.strength]
            assert row["contested"] == ("yes" if fact.contested else "no")
            # The state resolved on every plan the platform lists.
            by_plan = dict(part.split(": ", 1) for part in row["by_plan"].split("; ") if part)
            assert by_plan == {
                plan.slug: State(state).label for plan, state in matrix.by_plan(fact).items()
            }
            for citation in fact.citations.all():
                source = citation.source
                kind = source.kind.replace("_", " ")
                assert f"{source.title} ({kind}) <{source.url}>" in row["sources"]
                if citation.quote:
                    assert f"“{csv_cell(citation.quote)}”" in row["sources"]
                    quoted += 1
    assert quoted  # the seed's facts carry their quotes into the file


def test_unpublished_platforms_are_not_exported(client, seeded):
    Platform.objects.filter(slug="vsee").update(published=False)
    rows = read_csv(client.get("/platforms.csv"))
    assert "vsee" not in {r["platform_slug"] for r in rows}


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://evil")', "+1", "-2+3", "@SUM(A1)", "-1 day"],
)
def test_csv_cells_never_start_a_formula(client, seeded, value):
    assert csv_cell(value) == "'" + value
    fact = Fact.objects.get(platform__slug="zoom", criterion__slug="baa")
    Fact.objects.filter(pk=fact.pk).update(note=value)
    rows = read_csv(client.get("/platforms.csv"))
    row = next(r for r in rows if r["platform_slug"] == "zoom" and r["criterion_slug"] == "baa")
    assert row["note"] == "'" + value


SEPARATED_FORMULAS = [
    "Checked;=1+1;ok",
    "x;=HYPERLINK(CHAR(104)&CHAR(116)&A3);y",
    "tabbed\t@SUM(A1)",
    "comma, -2+3",
    'quoted;"=1+1',
    "two lines\n+1",
    "spaced;  =1",
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def live_cells(content):
    """Cells that would start a formula, whichever separator a spreadsheet splits on."""
    text = content.decode("utf-8-sig")
    found = []
    for delimiter in [",", ";", "\t"]:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            found += [(delimiter, cell) for cell in row if cell.lstrip(' "').startswith(TRIGGERS)]
    return found


def test_every_csv_cell_is_inert_whatever_the_separator(client, seeded):
    # Fails on the code before csvsafe: the rule only looked at the first character.
    zoom = Platform.objects.get(slug="zoom")
    facts = list(Fact.objects.filter(platform=zoom).order_by("criterion__order"))
    for fact, payload in zip(facts, SEPARATED_FORMULAS, strict=False):
        Fact.objects.filter(pk=fact.pk).update(note=payload, plan_scope=payload)
    # The header row of /compare.csv names the platforms.
    Platform.objects.filter(pk=zoom.pk).update(name="=1+1;@SUM(A1)")
    other = Platform.objects.published().exclude(pk=zoom.pk).first()
    urls = ["/platforms.csv", "/list.csv", f"/compare.csv?p=zoom&p={other.slug}"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Checked;" in response.content.decode(), url
        assert live_cells(response.content) == [], url


def test_csv_cell_guards_every_segment_a_reader_may_split_off():
    for payload in SEPARATED_FORMULAS:
        for delimiter in [",", ";", "\t"]:
            for segment in csv_cell(payload).replace("\n", delimiter).split(delimiter):
                assert not segment.lstrip(' "').startswith(TRIGGERS), (payload, segment)
    assert csv_cell("Checked;=1+1;ok") == "Checked;'=1+1;ok"
    assert csv_cell("end-to-end, on by default; see notes") == (
        "end-to-end, on by default; see notes"
    )


def test_csv_safe_leaves_ordinary_text_alone():
    assert csv_cell("Paid plans only") == "Paid plans only"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "yes"


def page_platforms(response):
    context = response.context
    return list(context["object_list"]) or list(context["closest"])


@pytest.mark.parametrize(
    "query",
    [
        "",
        "need=baa",
        "need=baa&need=waiting-room&sort=needs",
        "q=doxy",
        "need=baa&need=e2ee&need=free-plan&need=provider-2fa&need=practice-management",
    ],
)
def test_list_exports_match_the_list_page(client, seeded, query):
    page = page_offering(client, f"/?{query}", "/list.csv", "/list.json")
    shown = page_platforms(page)

    rows = read_csv(client.get(f"/list.csv?{query}"))
    assert in_order(r["platform_slug"] for r in rows) == [p.slug for p in shown]
    data = read_json(client.get(f"/list.json?{query}"))
    assert [p["slug"] for p in data["platforms"]] == [p.slug for p in shown]
    assert data["matches"] == ("closest" if page.context["closest"] else "all")
    # The states on each card are the states in both exports.
    states = {(r["platform_slug"], r["criterion_slug"]): r["state"] for r in rows}
    for platform in shown:
        exported = next(p for p in data["platforms"] if p["slug"] == platform.slug)
        assert exported["needs_met"] == getattr(platform, "needs_met", 0)
        for fact in platform.badges:
            assert states[(platform.slug, fact.criterion.slug)] == fact.state
            assert exported["facts"][fact.criterion.slug]["state"] == fact.state


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/?format=xml", "“format” takes csv or json; the downloads are at /list.csv"),
        ("/?format=csv&format=json", "“format” takes csv or json"),
        # The list page applies the known needs and says which it ignored; a file cannot
        # carry that warning, so the export is refused with the reason.
        ("/list.csv?need=no-such-need", "need: “no-such-need” is not a need this site knows"),
        ("/list.json?need=baa&need=no-such-need", "“no-such-need” is not a need"),
        ("/list.csv?need=x&need=baa&need=y", "“x”, “y” are not needs this site knows"),
        ("/list.json?sort=sideways", "sort"),
    ],
)
def test_bad_list_exports_get_a_clear_400(client, seeded, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/?format=csv", "/list.csv"),
        ("/?format=json&page=2", "/list.json"),
        ("/?need=e2ee&format=csv&q=zoom&need=baa", "/list.csv?q=zoom&need=baa&need=e2ee"),
        ("/?format=json&sort=needs&need=baa&utm=x", "/list.json?sort=needs&need=baa"),
    ],
)
def test_the_old_download_links_redirect_to_the_new_ones(client, seeded, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new
    assert client.get(new).status_code == 200


def test_a_list_with_an_ignored_need_downloads_the_needs_it_applied(client, seeded):
    page = client.get("/?need=baa&need=no-such-need&need=e2ee")
    assert page.status_code == 200
    assert page.context["ignored_needs"] == ["no-such-need"]
    html = page.content.decode()
    links = re.findall(r'href="(/list\.(?:csv|json)[^"]*)"', html)
    assert len(links) == 2
    shown = [p.slug for p in page_platforms(page)]
    for link in links:
        assert "no-such-need" not in link
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
        if link.startswith("/list.csv"):
            exported = in_order(r["platform_slug"] for r in read_csv(response))
        else:
            data = read_json(response)
            assert data["query"]["need"] == ["baa", "e2ee"]
            exported = [p["slug"] for p in data["platforms"]]
        assert exported == shown


def shown_rows(response):
    """(criterion slug, [fact state or None per platform]) for every row the page shows."""
    context = response.context
    rows = []
    for group in context["row_groups"]:
        if not group["shown"]:
            continue
        for row in group["items"]:
            if row["differs"] or not context["only_differences"]:
                states = [fact.state if fact else None for fact in row["cells"]]
                rows.append((row["criterion"].slug, states))
    return rows


@pytest.mark.parametrize(
    "query",
    [
        "p=zoom&p=webex",
        "p=zoom&p=webex&diff=1",
        "p=vsee&p=doxy-me&p=theraplatform&p=zoom&diff=1",
        "p=doxy-me&p=zoom&diff=0",
    ],
)
def test_compare_exports_are_the_comparison_on_screen(client, seeded, query):
    escaped = query.replace("&", "&amp;")
    page = page_offering(
        client,
        f"/compare/?{query}",
        f'href="/compare.csv?{escaped}"',
        f'href="/compare.json?{escaped}"',
    )
    slugs = [p.slug for p in page.context["platforms"]]
    expected = shown_rows(page)

    # Only the differing rows is another table than the whole comparison: another name.
    filename = f"compare-{'-'.join(slugs)}{'-differences' if 'diff=1' in query else ''}"
    response = client.get(f"/compare.csv?{query}")
    assert response["Content-Disposition"] == f'attachment; filename="{filename}.csv"'
    rows = read_csv(response)
    names = [p.name for p in page.context["platforms"]]
    assert [c for c in rows[0] if c.endswith(": state")] == [f"{n}: state" for n in names]
    csv_rows = [
        (
            r["criterion_slug"],
            [r[f"{n}: state"] for n in names],
        )
        for r in rows
    ]
    assert csv_rows == [(slug, [s or "unknown" for s in states]) for slug, states in expected]

    response = client.get(f"/compare.json?{query}")
    assert response["Content-Disposition"] == f'attachment; filename="{filename}.json"'
    data = read_json(response)
    assert [p["slug"] for p in data["platforms"]] == slugs
    assert data["only_differences"] == page.context["only_differences"]
    assert data["differing"] == page.context["differing"]
    json_rows = [
        (
            row["criterion"]["slug"],
            [row["cells"][s]["state"] if row["cells"][s] else None for s in slugs],
        )
        for row in data["rows"]
    ]
    assert json_rows == expected
    cited = {
        c["source"] for r in data["rows"] for f in r["cells"].values() if f for c in f["sources"]
    }
    assert cited and cited <= set(data["sources"])  # schema 3: sources by id, in the file
    for platform, exported in zip(page.context["platforms"], data["platforms"], strict=True):
        assert [p["connection"] for p in exported["encryption_paths"]] == [
            p.connection for p in platform.encryption_paths.all()
        ]


@pytest.mark.parametrize(("query", "message"), BAD_COMPARISONS)
@pytest.mark.parametrize("url", ["/compare.csv", "/compare.json"])
def test_bad_compare_exports_get_the_pages_400(client, seeded, url, query, message):
    page = client.get("/compare/", query)
    response = client.get(url, query)
    assert page.status_code == response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert message in text
    for error in page.context["errors"]:
        assert str(error) in text
