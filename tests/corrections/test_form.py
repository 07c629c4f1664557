"""The public correction form: what it accepts, what it refuses, what it never does."""

import pytest
from django.core.cache import caches
from django.test import Client

from corrections.models import Correction

from .helpers import QUOTE, form_url, valid, zoom_baa

pytestmark = pytest.mark.django_db


@pytest.fixture
def fact(seeded):
    return zoom_baa()


@pytest.fixture
def rate_limit_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "c"}
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


def errors(response):
    return response.context["form"].errors


def test_every_fact_on_the_platform_page_links_to_its_form(client, fact):
    page = client.get(fact.platform.get_absolute_url())
    html = page.content.decode()
    facts = fact.platform.facts.count()
    assert html.count(">Suggest a correction<span") == facts
    assert f'href="{form_url(fact)}"' in html
    assert not page.cookies  # the fact pages stay cookie-free


def test_the_compare_and_checklist_pages_link_each_fact_to_its_form(client, fact):
    compared = client.get("/compare/?p=zoom&p=doxy-me").content.decode()
    assert f'href="{form_url(fact)}"' in compared
    checklist = client.get("/platforms/zoom/checklist/")
    assert f'href="{form_url(fact)}"' in checklist.content.decode()
    assert not checklist.cookies


def test_a_correction_is_stored_and_the_platform_page_counts_it(client, fact):
    form = client.get(form_url(fact))
    assert form.status_code == 200
    assert "csrftoken" in form.cookies  # only the form page sets one
    response = client.post(form_url(fact), valid(email="Reader@Example.org"))
    assert response.status_code == 302
    assert response["Location"].endswith("/correction/sent/")
    correction = Correction.objects.get()
    assert correction.fact == fact and correction.status == "new"
    assert correction.proposed_state == "partial" and correction.quote == QUOTE
    sent = client.get(response["Location"])
    assert sent.status_code == 200 and "a reader's correction" in sent.content.decode()
    assert not sent.cookies
    page = client.get(fact.platform.get_absolute_url()).content.decode()
    assert page.count("1 correction open") == 1
    client.post(form_url(fact), valid())
    assert "2 corrections open" in client.get(fact.platform.get_absolute_url()).content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"source_url": "ftp://vendor.example/baa.txt"}, "source_url"),
        ({"source_url": "data:text/html,<b>x</b>"}, "source_url"),
        ({"source_url": "https://vendor.example/" + "a" * 500}, "source_url"),
        ({"source_url": ""}, "source_url"),
        ({"what_is_wrong": "x" * 2001}, "what_is_wrong"),
        ({"what_is_wrong": "   "}, "what_is_wrong"),
        ({"quote": "q" * 401}, "quote"),
        ({"quote": ""}, "quote"),
        ({"proposed_state": "maybe"}, "proposed_state"),
        ({"writer": "robot"}, "writer"),
        ({"writer": "vendor", "disclosure": ""}, "disclosure"),
        ({"writer": "vendor", "disclosure": "   "}, "disclosure"),
        ({"disclosure": "d" * 301}, "disclosure"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_input_is_a_400_that_says_which_field(client, fact, changes, field):
    response = client.post(form_url(fact), valid(**changes))
    assert response.status_code == 400
    assert field in errors(response)
    assert not Correction.objects.exists()
    html = response.content.decode()
    assert 'role="alert"' in html and f'href="#id_{field}"' in html or field == "writer"


def test_a_vendor_with_a_disclosure_is_welcome(client, fact):
    response = client.post(
        form_url(fact), valid(writer="vendor", disclosure="Compliance lead, Zoom")
    )
    assert response.status_code == 302
    assert Correction.objects.get().disclosure == "Compliance lead, Zoom"


def test_an_address_without_a_scheme_is_taken_as_https(client, fact):
    assert client.post(form_url(fact), valid(source_url="vendor.example/baa")).status_code == 302
    assert Correction.objects.get().source_url == "https://vendor.example/baa"


def test_the_honeypot_gets_the_same_answer_and_stores_nothing(client, fact):
    response = client.post(form_url(fact), valid(website="https://spam.example"))
    assert response.status_code == 302 and response["Location"].endswith("/correction/sent/")
    assert not Correction.objects.exists()


def test_csrf_is_required(fact):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(form_url(fact), valid()).status_code == 403
    page = strict.get(form_url(fact))
    token = page.cookies["csrftoken"].value
    response = strict.post(form_url(fact), {**valid(), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Correction.objects.count() == 1


def test_five_an_hour_per_client_address_in_the_shared_cache(client, fact, rate_limit_cache):
    for _ in range(5):
        assert client.post(form_url(fact), valid()).status_code == 302
    limited = client.post(form_url(fact), valid())
    assert limited.status_code == 429
    assert "try again in an hour" in limited.content.decode()
    assert Correction.objects.count() == 5
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert other.post(form_url(fact), valid()).status_code == 302


def test_submitted_html_is_never_rendered(client, fact, admin_client):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = client.post(
        form_url(fact),
        valid(what_is_wrong=script, quote=script, writer="vendor", disclosure=script),
    )
    assert response.status_code == 302
    correction = Correction.objects.get()
    review = admin_client.get(f"/admin/corrections/correction/{correction.pk}/change/")
    html = review.content.decode()
    assert review.status_code == 200
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # A bad submission's form page shows what was typed, escaped, too.
    again = client.post(form_url(fact), valid(what_is_wrong=script, source_url="javascript:x"))
    assert again.status_code == 400 and "<script>alert" not in again.content.decode()


def test_unknown_or_unpublished_facts_are_404(client, fact):
    assert client.get("/platforms/zoom/facts/no-such-criterion/correction/").status_code == 404
    assert client.get("/platforms/nope/facts/baa/correction/").status_code == 404
    fact.platform.published = False
    fact.platform.save()
    assert client.get(form_url(fact)).status_code == 404
    assert client.post(form_url(fact), valid()).status_code == 404


def test_other_methods_are_refused(client, fact):
    assert client.put(form_url(fact)).status_code == 405
    assert client.post(form_url(fact) + "sent/").status_code == 405
