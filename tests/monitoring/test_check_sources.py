"""manage.py check_sources against a local HTTP server: each kind of page it meets."""

import io
import json
import time

import pytest
from django.core.management import CommandError, call_command
from werkzeug import Response

from monitoring.models import (
    UNREACHABLE_RUNS_TO_FLAG,
    CitationCheck,
    SourceCheck,
    annotate_needs_review,
)
from platforms.models import Fact

from .conftest import cited_fact, html

pytestmark = pytest.mark.django_db

QUOTE = "We sign a Business Associate Agreement on every paid plan."
# Small limits so the slow and the huge page cost little time.
FAST = {"timeout": 0.5, "deadline": 2, "max_bytes": 64 * 1024}


def run(*args, **limits):
    out = io.StringIO()
    call_command(
        "check_sources", "--json", *args, stdout=out, stderr=io.StringIO(), **{**FAST, **limits}
    )
    return json.loads(out.getvalue())


def needs_review(fact):
    return annotate_needs_review(Fact.objects.filter(pk=fact.pk)).get().needs_review


def current(fact):
    return CitationCheck.objects.current().get(citation__fact=fact)


def test_an_unchanged_page_keeps_its_quote_and_fingerprint(server):
    server.expect_request("/baa").respond_with_data(
        html(f"<nav>Menu</nav><p>{QUOTE}</p>"), content_type="text/html; charset=utf-8"
    )
    fact = cited_fact(server.url_for("/baa"), QUOTE)
    first = run()
    second = run()
    assert first["pages"] == {"ok": 1} and first["citations"] == {"found": 1}
    assert first["flagged"] == []
    checks = list(SourceCheck.objects.order_by("pk"))
    assert [c.status for c in checks] == ["ok", "ok"]
    assert checks[0].http_status == 200 and checks[0].final_url == server.url_for("/baa")
    assert len(checks[0].fingerprint) == 64
    assert checks[0].fingerprint == checks[1].fingerprint
    assert second["sources"][0]["fingerprint"] == checks[0].fingerprint
    assert current(fact).outcome == "found" and not needs_review(fact)
    # One current check per citation; the first stays as history.
    assert CitationCheck.objects.filter(citation__fact=fact).count() == 2


def test_a_changed_quote_flags_the_fact_but_never_changes_it(server):
    server.expect_request("/baa").respond_with_data(
        html("<p>We sign a Business Associate Agreement on Enterprise plans.</p>"),
        content_type="text/html",
    )
    fact = cited_fact(server.url_for("/baa"), QUOTE)
    before = Fact.objects.values().get(pk=fact.pk)
    result = run()
    assert result["citations"] == {"quote_gone": 1}
    assert result["flagged"][0]["outcome"] == "quote_gone"
    assert current(fact).outcome == "quote_gone" and current(fact).flagged
    assert needs_review(fact)
    assert Fact.objects.values().get(pk=fact.pk) == before
    assert fact.history.count() == 1


def test_the_page_changing_its_fingerprint_when_its_text_changes(server):
    server.expect_ordered_request("/p").respond_with_data(
        html(f"<p>{QUOTE}</p>"), content_type="text/html"
    )
    server.expect_ordered_request("/p").respond_with_data(
        html(f"<p>{QUOTE}</p><p>Now also on Basic.</p>"), content_type="text/html"
    )
    cited_fact(server.url_for("/p"), QUOTE)
    first, second = run(), run()
    assert first["citations"] == second["citations"] == {"found": 1}
    assert first["sources"][0]["fingerprint"] != second["sources"][0]["fingerprint"]


@pytest.mark.parametrize("status", [404, 410])
def test_a_page_gone_flags_the_fact(server, status):
    server.expect_request("/gone").respond_with_data("Not here", status=status)
    fact = cited_fact(server.url_for("/gone"), QUOTE)
    result = run()
    assert result["pages"] == {"gone": 1}
    assert result["sources"][0]["http_status"] == status
    assert current(fact).outcome == "page_gone" and needs_review(fact)


def test_a_redirect_is_followed_and_recorded(server):
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/moved"})
    server.expect_request("/moved").respond_with_data("", status=302, headers={"Location": "/new"})
    server.expect_request("/new").respond_with_data(
        html(f"<p>{QUOTE}</p>"), content_type="text/html"
    )
    fact = cited_fact(server.url_for("/old"), QUOTE)
    result = run()
    check = SourceCheck.objects.get()
    assert check.status == "ok" and check.final_url == server.url_for("/new")
    assert check.redirects == [[301, "/moved"], [302, "/new"]]
    assert result["sources"][0]["redirects"] == [[301, "/moved"], [302, "/new"]]
    assert current(fact).outcome == "found" and not needs_review(fact)


def test_a_slow_page_past_the_timeout_is_unreachable_and_retried(server):
    def slow(request):
        time.sleep(1.5)
        return Response(html(f"<p>{QUOTE}</p>"), content_type="text/html")

    server.expect_request("/slow").respond_with_handler(slow)
    fact = cited_fact(server.url_for("/slow"), QUOTE)
    result = run(timeout=0.3)
    check = SourceCheck.objects.get()
    assert check.status == "unreachable" and "timed out" in check.error
    assert result["citations"] == {"unreachable": 1}
    # Once is not yet a change: retried on the next run.
    assert check.consecutive_unreachable == 1
    assert not current(fact).flagged and not needs_review(fact)


def test_unreachable_three_runs_in_a_row_flags_the_fact(server):
    server.expect_request("/down").respond_with_data("Down", status=503)
    fact = cited_fact(server.url_for("/down"), QUOTE)
    flags = []
    for _ in range(UNREACHABLE_RUNS_TO_FLAG):
        run()
        flags.append(needs_review(fact))
    assert flags == [False] * (UNREACHABLE_RUNS_TO_FLAG - 1) + [True]
    runs = list(
        SourceCheck.objects.order_by("pk").values_list("consecutive_unreachable", flat=True)
    )
    assert runs == [1, 2, 3]
    assert "HTTP 503" in SourceCheck.objects.latest().error


def test_a_page_back_after_being_unreachable_starts_counting_again(server):
    server.expect_ordered_request("/flaky").respond_with_data("Down", status=500)
    server.expect_ordered_request("/flaky").respond_with_data("Down", status=502)
    server.expect_ordered_request("/flaky").respond_with_data(
        html(f"<p>{QUOTE}</p>"), content_type="text/html"
    )
    server.expect_ordered_request("/flaky").respond_with_data("Down", status=500)
    fact = cited_fact(server.url_for("/flaky"), QUOTE)
    for _ in range(4):
        run()
    runs = list(
        SourceCheck.objects.order_by("pk").values_list("consecutive_unreachable", flat=True)
    )
    assert runs == [1, 2, 0, 1]
    assert not needs_review(fact)


def test_a_huge_page_is_read_only_up_to_the_cap(server):
    cap = 64 * 1024
    sent = {"bytes": 0}

    def endless(request):
        def body():
            yield html(f"<p>{QUOTE}</p>").encode()
            for _ in range(2000):  # 16 MB if it were all read
                sent["bytes"] += 8192
                yield b"<p>" + b"x" * 8185 + b"</p>"

        return Response(body(), content_type="text/html")

    server.expect_request("/huge").respond_with_handler(endless)
    server.expect_request("/huge-late").respond_with_data(
        html("<p>" + "y " * cap + f"</p><p>{QUOTE}</p>"), content_type="text/html"
    )
    early = cited_fact(server.url_for("/huge"), QUOTE)
    late = cited_fact(server.url_for("/huge-late"), QUOTE)
    run(max_bytes=cap)
    huge = SourceCheck.objects.get(source__url=server.url_for("/huge"))
    assert huge.truncated and huge.bytes_read == cap and huge.status == "ok"
    # The download stopped: far from all of the 16 MB was sent.
    assert sent["bytes"] < 4_000_000
    assert current(early).outcome == "found"
    # A quote past the part read cannot be said to be gone.
    check = current(late)
    assert check.outcome == "not_checked" and "larger than" in check.detail
    assert not check.flagged and not needs_review(late)


def test_a_pdf_is_recorded_as_not_html_and_never_flagged(server):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    server.expect_request("/terms.pdf").respond_with_data(pdf, content_type="application/pdf")
    fact = cited_fact(server.url_for("/terms.pdf"), QUOTE)
    result = run()
    check = SourceCheck.objects.get()
    assert check.status == "not_html" and check.content_type == "application/pdf"
    assert check.fingerprint and check.bytes_read == len(pdf)
    assert result["citations"] == {"not_checked": 1}
    outcome = current(fact)
    assert (
        outcome.outcome == "not_checked" and "not an HTML page (application/pdf)" in outcome.detail
    )
    assert not needs_review(fact)


def test_a_fact_verified_on_or_after_the_check_no_longer_needs_review(server):
    server.expect_request("/changed").respond_with_data(
        html("<p>Other words.</p>"), content_type="text/html"
    )
    fact = cited_fact(server.url_for("/changed"), QUOTE)
    run()
    assert needs_review(fact)
    fact.verified_on = SourceCheck.objects.get().checked_at.date()
    fact.save()
    assert not needs_review(fact)


def test_requests_say_who_is_asking(server):
    server.expect_request("/ua").respond_with_data(
        html(f"<p>{QUOTE}</p>"), content_type="text/html"
    )
    cited_fact(server.url_for("/ua"), QUOTE)
    run()
    request, _response = server.log[0]
    assert request.headers["User-Agent"].startswith("TeletherapyCompareSourceCheck/")
    assert "https://compare.example.org" in request.headers["User-Agent"]


def test_platform_and_source_narrow_the_run(server):
    for path in ("/a", "/b"):
        server.expect_request(path).respond_with_data(
            html(f"<p>{QUOTE}</p>"), content_type="text/html"
        )
    a = cited_fact(server.url_for("/a"), QUOTE)
    cited_fact(server.url_for("/b"), QUOTE)
    assert [s["url"] for s in run(f"--platform={a.platform.slug}")["sources"]] == [
        server.url_for("/a")
    ]
    assert [s["url"] for s in run(f"--source={server.url_for('/b')}")["sources"]] == [
        server.url_for("/b")
    ]
    assert SourceCheck.objects.count() == 2


def test_an_unknown_platform_or_source_fails_the_run(server):
    cited_fact(server.url_for("/a"), QUOTE)
    with pytest.raises(CommandError, match="No platform has the slug"):
        run("--platform", "no-such-platform")
    with pytest.raises(CommandError, match="Not a cited source"):
        run("--source", "https://example.org/not-a-source")
    assert not SourceCheck.objects.exists()
    assert len(server.log) == 0


def test_pages_that_fail_do_not_fail_the_run(server, capsys):
    server.expect_request("/gone").respond_with_data("", status=404)
    server.expect_request("/down").respond_with_data("", status=500)
    cited_fact(server.url_for("/gone"), QUOTE)
    cited_fact(server.url_for("/down"), QUOTE)
    # Plain lines without a terminal, and a summary: the command returns (exit status 0).
    out = io.StringIO()
    call_command("check_sources", stdout=out, stderr=io.StringIO(), **FAST)
    text = out.getvalue()
    assert f"gone (404) {server.url_for('/gone')}" in text
    assert f"unreachable (500) {server.url_for('/down')}: HTTP 500" in text
    assert "Checked 2 pages: 1 gone, 1 unreachable." in text
    assert "1 citation(s) flagged for review:" in text


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_progress_bar_with_counts(server):
    for path in ("/a", "/b", "/c"):
        server.expect_request(path).respond_with_data(
            html(f"<p>{QUOTE}</p>"), content_type="text/html"
        )
        cited_fact(server.url_for(path), QUOTE)
    err, out = Terminal(), io.StringIO()
    call_command("check_sources", "--json", stdout=out, stderr=err, **FAST)
    bar = err.getvalue()
    assert "\r[" in bar and "3/3 pages · ok 3" in bar and "#" * 30 in bar
    assert json.loads(out.getvalue())["checked"] == 3  # stdout holds only the JSON
