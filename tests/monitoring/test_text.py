"""What "the quote is still on the page" means: the match after normalising."""

import pytest

from monitoring.text import html_text, normalise, quote_on_page


def on_page(quote, page_html):
    return quote_on_page(quote, normalise(html_text(page_html)))


@pytest.mark.parametrize(
    ("quote", "page"),
    [
        ("We sign a BAA on all paid plans.", "<p>We   sign a\nBAA on all paid plans.</p>"),
        ("we sign a baa", "<p>WE SIGN A BAA</p>"),
        ('The "Pro" plan', "<p>The \u201cPro\u201d plan</p>"),
        ("the vendor's servers", "<p>the vendor\u2019s servers</p>"),
        ("Pro - and up", "<p>Pro \u2014 and up</p>"),
        ("Pro-and up", "<p>Pro\u2013and up</p>"),
        ("all paid plans", "<p>all&nbsp;paid&nbsp;plans</p>"),
        ("end-to-end", "<p>end\u00ad-to\u2011\u200bend</p>"),
        ("BAA on Pro", "<p><b>B</b>AA on <a href='/pro'>Pro</a></p>"),
    ],
)
def test_the_quote_matches_after_normalising(quote, page):
    assert on_page(quote, page)


def test_words_in_separate_blocks_stay_separate_words():
    assert normalise(html_text("<ul><li>Basic</li><li>Pro</li></ul>")) == "basic pro"
    assert not on_page("BasicPro", "<ul><li>Basic</li><li>Pro</li></ul>")


def test_scripts_styles_and_the_head_are_not_the_page_text():
    page = "<html><head><title>BAA</title><style>.baa{}</style></head><body><p>x</p>"
    page += "<script>var baa = 'we sign a BAA';</script><noscript>we sign a BAA</noscript></body>"
    assert not on_page("we sign a BAA", page)
    assert normalise(html_text(page)) == "x"


def test_a_changed_sentence_is_not_found():
    assert not on_page("BAA on all paid plans", "<p>BAA on Enterprise plans only</p>")


def test_an_empty_quote_is_never_found():
    assert not on_page("  ", "<p>anything</p>")
