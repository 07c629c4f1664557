"""Issue 17 on the public pages, through the test client: plural forms, the "Data and
exports" page, feed links, download names, "Clear all" in the live fragment."""

import pytest
from django.urls import reverse

from platforms.models import Criterion, Fact
from platforms.needs import recompute_need_masks

pytestmark = pytest.mark.django_db


def text(response):
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def count_line(html):
    return html.split('id="result-count"')[1].split("</p>")[0]


def test_one_need_reads_in_the_singular(client, seeded):
    line = count_line(text(client.get("/?need=baa")))
    assert "meet" in line and "your need." in line
    assert "all 1" not in line


def test_several_needs_say_how_many(client, seeded):
    line = count_line(text(client.get("/?need=baa&need=waiting-room")))
    assert "all 2 of your needs" in line


def test_no_match_for_one_need_says_so_without_all_1(client, seeded):
    baa = Criterion.objects.get(slug="baa")
    Fact.objects.filter(criterion=baa).update(state="unknown")
    recompute_need_masks()  # update() bypasses the receivers that keep the stored masks
    html = text(client.get("/?need=baa"))
    line = count_line(html)
    assert "No platform meets your need." in line
    assert "all 1" not in html


def test_cards_of_one_need_say_your_need(client, seeded):
    html = text(client.get("/?need=baa"))
    cards = html.split('class="needs-met"')[1:]
    assert cards
    assert all("Meets your need" in card.split("</p>")[0] for card in cards)
    assert "all 1 of your needs" not in html


def test_the_change_log_caption_counts_in_the_singular(client, seeded):
    fact = Fact.objects.filter(platform__slug="zoom").first()
    fact.state = "unknown" if fact.state != "unknown" else "partial"
    fact._change_reason = "test"
    fact.save()
    html = text(client.get("/changes/?platform=zoom"))
    caption = html.split("<caption>")[1].split("</caption>")[0]
    assert caption.strip() == "The latest change to Zoom"


def test_the_menu_links_the_data_page_which_links_every_format(client, seeded):
    html = text(client.get("/"))
    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    assert "Dataset (JSON)" not in header
    assert f'href="{reverse("compare:data-exports")}"' in header
    page = text(client.get(reverse("compare:data-exports")))
    assert "<h1>Data and exports</h1>" in page
    for url in ["/platforms.csv", "/platforms.json", "/changes/feed/"]:
        assert f'href="{url}"' in page
    assert 'aria-current="page">Data and exports' in page
    response = client.get("/data/")
    assert response.status_code == 200 and not response.cookies  # public: cookie-free


def test_changes_page_and_platform_page_advertise_their_feeds(client, seeded):
    html = text(client.get("/changes/"))
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/changes/feed/"' in html.split("</head>")[0]
    html = text(client.get("/changes/?platform=zoom"))
    assert 'href="/changes/feed/?platform=zoom"' in html.split("</head>")[0]
    page = text(client.get("/platforms/zoom/"))
    assert 'href="/changes/feed/?platform=zoom"' in page.split("</head>")[0]
    body = page.split("<main")[1]
    assert 'href="/changes/feed/?platform=zoom" type="application/atom+xml"' in body
    assert "Follow this platform" in body
    feed = client.get("/changes/feed/?platform=zoom")
    assert feed.status_code == 200 and b"Zoom" in feed.content


def test_a_differences_only_download_has_its_own_name(client, seeded):
    full = client.get("/compare.csv?p=zoom&p=webex")
    diff = client.get("/compare.csv?p=zoom&p=webex&diff=1")
    diff_json = client.get("/compare.json?p=zoom&p=webex&diff=1")
    assert 'filename="compare-zoom-webex.csv"' in full["Content-Disposition"]
    assert 'filename="compare-zoom-webex-differences.csv"' in diff["Content-Disposition"]
    assert 'filename="compare-zoom-webex-differences.json"' in diff_json["Content-Disposition"]


def test_compare_csv_has_words_beside_each_state_code(client, seeded):
    header = client.get("/compare.csv?p=zoom&p=webex").content.decode("utf-8-sig").splitlines()[0]
    assert "Zoom: state,Zoom: state label" in header


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", False),
        ("?q=&sort=name", False),  # what the live form sends with nothing chosen
        ("?q=&need=baa&sort=name", True),
        ("?q=zoom&sort=name", True),
        ("?q=&sort=verified", True),
        ("?need=bogus", True),
    ],
)
def test_clear_all_is_in_the_page_and_in_the_live_fragment(client, seeded, query, shown):
    html = text(client.get(f"/{query}"))
    fragment = text(client.get(f"/{query}", headers={"HX-Request": "true"}))
    assert 'id="clear-all"' in fragment and 'hx-swap-oob="innerHTML"' in fragment
    for body in (html, fragment):
        clear_all = body.split('id="clear-all"')[1].split("</span>")[0]
        assert ("Clear all" in clear_all) is shown


def test_ticked_compare_boxes_are_kept_by_htmx(client, seeded):
    html = text(client.get("/"))
    assert 'id="compare-zoom" hx-preserve="true"' in html


def test_footnotes_link_back_to_each_place_that_cites_them(client, seeded):
    html = text(client.get("/platforms/zoom/"))
    first = html.split('<sup class="ref">')[1].split("</sup>")[0]
    assert 'href="#source-1"' in first and 'id="cite-1-1"' in first
    entry = html.split('<li id="source-1"')[1].split("</li>")[0]
    assert 'href="#cite-1-1"' in entry
    # Every back link leads to a citation that exists on the page.
    body = html.split('<section class="footnotes"')[1]
    for anchor in body.split('href="#cite-')[1:]:
        assert f'id="cite-{anchor.split(chr(34))[0]}"' in html


def test_the_checklist_has_a_print_button_from_a_static_file(client, seeded):
    html = text(client.get("/platforms/zoom/checklist/"))
    assert '<button type="button" class="print-button" data-print hidden>' in html
    assert 'src="/static/js/print.js"' in html
    assert "<script>" not in html


def test_a_contested_fact_carries_its_reason_for_print(client, seeded):
    fact = Fact.objects.filter(contested=True).exclude(contested_reason="").first()
    if fact is None:
        fact = Fact.objects.filter(platform__slug="zoom").first()
        fact.contested, fact.contested_reason = True, "Vendor and press disagree."
        fact.save()
    html = text(client.get(f"/platforms/{fact.platform.slug}/"))
    assert 'class="marker marker-contested print-only">⚖ Contested: ' in html
