"""Bad input never reaches a 500: random query strings and path parameters at every public URL.

The URLs come from the URLconf (tests/config/site.py), so pages, exports and feeds added later
are fuzzed too. Each request goes with and without `HX-Request: true`. The histogram of status
codes is printed; any 5xx fails the test with the request that caused it.
"""

import os
from collections import Counter
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platforms.models import Criterion, Platform
from tests.config.site import ROUTE_PARAM, public_urls, routes

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))
# The parameters the pages read, plus ones some page might read one day.
KEYS = ["need", "q", "sort", "page", "p", "diff", "format", "db", "since", "o"]
# NUL (%00) is rarer here than the rest: every page answers it with the same 400 before
# reading anything else (config.middleware.RejectBadInputMiddleware), which would hide the other
# junk. The sweep below sends it with every key, and Hypothesis's text still contains some.
RAW_ESCAPES = [
    "%ff%fe",  # not UTF-8 at all
    "%c0%80",  # overlong NUL
    "%e2%82",  # truncated sequence
    "%ed%a0%80",  # a lone surrogate
    "%",
    "%zz",
    "%2",
    "%0d%0a",
    "+",
    "%2526",
]
LONG_VALUES = ["a" * 10_240, "%ff" * 3_414, quote("é") * 1_700, "need," * 2_048]
PLAIN_JUNK = ["", "0", "-1", "1e9", "99999999999999999999999", "NaN", "null", "[]", "{}"]
PLAIN_JUNK += ["csv", "json", "html", "atom", "rss", "name", "needs", "verified", "-name"]
PLAIN_JUNK += ["' OR 1=1 --", "<script>", "../../etc/passwd", "\x00", "\u202e", "🦄"]


def encoded(text):
    return quote(text, safe="")


def values(known):
    real_with_junk = st.tuples(
        st.sampled_from(["", *known]), st.sampled_from(RAW_ESCAPES), st.sampled_from(known)
    ).map("".join)  # gets past checks that look only at the start
    return st.one_of(
        st.sampled_from(known),
        real_with_junk,
        real_with_junk,
        st.sampled_from(RAW_ESCAPES),
        st.text(max_size=40).map(encoded),
        st.sampled_from(PLAIN_JUNK).map(encoded),
    )


def query_strings(known):
    # Each known key draws its own values (often none), so every key gets its share of junk:
    # Hypothesis favours the first options of a choice, which would starve the later keys.
    per_key = st.fixed_dictionaries(
        {key: st.lists(values(known), max_size=3) for key in KEYS}
    ).map(lambda chosen: [f"{key}={value}" for key, vs in chosen.items() for value in vs])
    odd_keys = st.one_of(
        st.text(min_size=1, max_size=20).map(encoded),
        st.sampled_from(["%00", "need%ff", "p[]", "__proto__", "q%00q", "a" * 2_000]),
    )
    odd = st.lists(
        st.one_of(st.tuples(odd_keys, values(known)).map("=".join), odd_keys), max_size=3
    )
    # Now and then one ~10 kB value, and one short pair repeated up to 60 times.
    long = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(LONG_VALUES))
    repeats = st.integers(1, 60)
    return st.tuples(per_key, odd, long, repeats, st.randoms(use_true_random=False)).map(
        lambda t: assemble(*t)
    )


def assemble(pairs, odd, long, repeats, random):
    pairs = pairs + odd
    short = [pair for pair in pairs if len(pair) < 200]
    if short and repeats > 1:
        pairs += [random.choice(short)] * repeats
    if long:
        pairs.append(f"{random.choice(KEYS)}={long}")
    random.shuffle(pairs)
    return random.choice(["&", "&", ";", "&&"]).join(pairs)


def path_values(known):
    return st.one_of(
        st.sampled_from(known),
        st.text(min_size=1, max_size=30).map(encoded),
        st.sampled_from(["%00", "%ff", "a" * 300, "-", "..", "%2e%2e", "NaN"]),
    )


def test_no_query_string_or_path_parameter_reaches_a_500(client, seeded, capsys):
    known = sorted(
        {
            *Platform.objects.values_list("slug", flat=True),
            *Criterion.objects.values_list("slug", flat=True),
        }
    )
    urls = public_urls(client)
    templates = [route for _name, route in routes() if ROUTE_PARAM.search(route)]
    fill = st.tuples(st.sampled_from(templates or ["/"]), path_values(known)).map(
        lambda t: ROUTE_PARAM.sub(t[1], t[0])
    )
    # Concrete URLs (with any query they already have) most of the time, fuzzed paths too.
    targets = st.one_of(st.sampled_from(urls), st.sampled_from(urls), fill)
    statuses, by_url = Counter(), Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(url=targets, query=query_strings(known), htmx=st.booleans())
    def check(url, query, htmx):
        separator = "&" if "?" in url else "?"
        full = f"{url}{separator}{query}" if query else url
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.get(full, headers=headers)
        statuses[response.status_code] += 1
        by_url[url.split("?")[0] if url in urls else "(fuzzed path)"] += 1
        assert response.status_code < 500, f"{response.status_code} for GET {full!r} {headers}"

    check()
    with capsys.disabled():
        print(f"\nFuzzed {sum(statuses.values())} requests over {len(urls)} public URLs:")
        for status, count in sorted(statuses.items()):
            print(f"  {status}: {count}")
        print("  per URL: " + ", ".join(f"{u} {n}" for u, n in sorted(by_url.items())))
    assert sum(statuses.values()) >= EXAMPLES
    assert not [status for status in statuses if status >= 500]
    # The fuzzing reached real pages, not only error responses.
    assert statuses[200] > 0 and statuses[400] + statuses[404] > 0


NASTY = ["%00", "%ff%fe", "a" * 10_240, "{known}%00", "%00{known}", "{known}%ed%a0%80"]


@pytest.mark.parametrize("htmx", [False, True])
def test_every_key_with_each_nasty_value_at_every_url(client, seeded, htmx):
    """The sweep the random test might miss: each known key set to each nasty value at once."""
    slug = Platform.objects.published().values_list("slug", flat=True).first()
    headers = {"HX-Request": "true"} if htmx else {}
    for url in public_urls(client):
        for nasty in NASTY:
            value = nasty.format(known=slug)
            query = "&".join(f"{key}={value}" for key in KEYS) + f"&p={slug}&{value}={value}"
            separator = "&" if "?" in url else "?"
            response = client.get(f"{url}{separator}{query}", headers=headers)
            assert response.status_code < 500, (url, nasty, response.status_code)
