"""Stored XSS: script and attribute payloads in every text field of every model stay inert.

The fields are found through `_meta`, the pages through the URLconf (tests/config/site.py)
and the admin's registry, so a field, page, export or feed added later is covered too.
"""

import json
from xml.etree import ElementTree

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import NoReverseMatch, reverse

from platforms.models import Platform
from tests.config.site import public_urls

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script>\"onmouseover=\"alert(2)'onfocus='alert(3)"
URL_PAYLOAD = 'https://example.org/x?a="><script>alert(1)</script>'
# What must never appear raw in HTML or XML: each would run or open an attribute.
RAW = ["<script>alert(1)", '"onmouseover="alert(2)', "'onfocus='alert(3)"]
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
PROJECT_APPS = ["platforms", "compare"]
XML_TYPES = ("application/atom+xml", "application/rss+xml", "application/xml", "text/xml")
HTML_IN_RSS = ("description", "}encoded")


def text_fields(model):
    """Free-text fields a person can type into: no choices, slugs or primary keys."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not field.choices
        and not isinstance(field, models.SlugField)
        and not field.primary_key
    ]


def project_models():
    for label in PROJECT_APPS:
        try:
            yield from apps.get_app_config(label).get_models()
        except LookupError:
            continue


def store_payloads():
    """Writes the payloads into every text field of every row; returns how many fields."""
    filled = 0
    for model in project_models():
        fields = text_fields(model)
        for pk in model._default_manager.values_list("pk", flat=True):
            values = {}
            for field in fields:
                value = URL_PAYLOAD if isinstance(field, models.URLField) else PAYLOAD
                value = f"{value} #{pk}"  # unique fields stay unique
                if field.max_length and len(value) > field.max_length:
                    continue
                values[field.attname] = value
            # update(): straight to the database, as a bad import or a raw edit would.
            model._default_manager.filter(pk=pk).update(**values)
            filled += len(values)
    return filled


def check_inert(url, response):
    content_type = response.headers.get("Content-Type", "")
    body = response.content.decode("utf-8", "replace")
    if "json" in content_type:
        assert content_type.startswith("application/json"), (url, content_type)
        json.loads(body)  # data, whole and parseable
    elif content_type.startswith("text/html"):
        for raw in RAW:
            assert raw not in body, (url, raw)
    elif content_type.startswith(XML_TYPES):
        assert RAW[0] not in body, url  # no element of our making
        # Text elements are plain text to a feed reader; those typed HTML (Atom's
        # type="html", RSS's description) are HTML once the XML is decoded, so they must hold
        # escaped markup: decoded, still no raw payload.
        feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own response
        for element in feed.iter():
            if element.get("type") in {"html", "xhtml"} or element.tag.endswith(HTML_IN_RSS):
                for raw in RAW:
                    assert raw not in (element.text or ""), (url, element.tag, raw)
    elif content_type.startswith(("text/csv", "text/plain")):
        # Data for a spreadsheet or a person, never rendered as a page by the browser.
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
    else:
        pytest.fail(f"{url}: no XSS rule for {content_type!r}; add one to this test")
    return body


@pytest.fixture
def poisoned(seeded):
    assert store_payloads() > 30
    platforms = list(Platform.objects.published().values_list("slug", flat=True)[:2])
    return platforms


def test_payloads_render_inert_on_every_public_page_export_and_feed(client, poisoned):
    urls = public_urls(client)
    urls += [f"/compare/?p={poisoned[0]}&p={poisoned[1]}", "/?q=script", "/?sort=needs"]
    escaped_on = []
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            body = check_inert(url, response)
            if ESCAPED_SCRIPT in body:
                escaped_on.append(url)
    # The payloads were shown (escaped), so the checks above looked at real output.
    for page in ["/", f"/platforms/{poisoned[0]}/", "/criteria/"]:
        assert page in escaped_on, page


def test_json_keeps_the_payload_as_data(client, poisoned):
    for url in [u for u in public_urls(client) if ".json" in u]:
        response = client.get(url)
        if response.status_code == 200:
            assert PAYLOAD in strings_in(response.json()), url


def strings_in(data):
    """Every string value in decoded JSON, joined."""
    if isinstance(data, dict):
        return "\n".join(strings_in(value) for value in data.values())
    if isinstance(data, list):
        return "\n".join(strings_in(value) for value in data)
    return data if isinstance(data, str) else ""


def admin_urls(model_admin_pairs):
    for model, _model_admin in model_admin_pairs:
        info = model._meta.app_label, model._meta.model_name
        obj = model._default_manager.first()
        for name, args in [
            ("changelist", []),
            ("change", [obj.pk] if obj else None),
            ("history", [obj.pk] if obj else None),
        ]:
            if args is None:
                continue
            try:
                yield reverse(f"admin:{info[0]}_{info[1]}_{name}", args=args)
            except NoReverseMatch:
                continue


def test_payloads_render_inert_in_the_admin(client, poisoned):
    staff = get_user_model().objects.create_superuser(
        "xss-admin", "xss@example.org", "a long test-only passphrase 42"
    )
    client.force_login(staff)
    registered = [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]
    assert registered
    checked = 0
    for url in ["/admin/", *admin_urls(registered)]:
        response = client.get(url)
        assert response.status_code == 200, url
        check_inert(url, response)
        checked += 1
    assert checked > len(registered)
