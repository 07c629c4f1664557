"""A page's text and the quote match: what "the quote is still on the page" means."""

import hashlib
import re
import unicodedata

from selectolax.lexbor import LexborHTMLParser as HTMLParser

# Elements whose text a reader never sees as the page's words.
NOT_TEXT = ["script", "style", "noscript", "template", "svg", "head"]
QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4`"} | {
    ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"
}
DASHES = {ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"}
INVISIBLE = {ord(c): None for c in "\u00ad\u200b\u200c\u200d\u2060\ufeff"}
SPACES = re.compile(r"\s+")
# Elements that break words apart (blocks, line breaks, cells): text on either side of one
# is two words. Inline elements (<b>, <a>, <span>) do not: "<b>w</b>orld" is "world".
BREAKS = (
    "address, article, aside, blockquote, br, dd, details, dialog, div, dl, dt, fieldset, "
    "figcaption, figure, footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, "
    "ol, p, pre, section, summary, table, td, th, tr, ul, option, caption, img"
)


def normalise(text):
    """Text as the quote match sees it: Unicode compatibility forms (NFKC: no-break spaces,
    ligatures, "…"), curly quotes and every dash made plain, invisible characters (soft
    hyphens, zero-width spaces) dropped, case folded, whitespace runs made one space."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(QUOTES).translate(DASHES).translate(INVISIBLE)
    return SPACES.sub(" ", text.casefold()).strip()


def html_text(html):
    """The visible text of an HTML document (a str), read with a real HTML parser."""
    tree = HTMLParser(html)
    for node in tree.css(", ".join(NOT_TEXT)):
        node.decompose()
    for node in tree.css(BREAKS):
        node.insert_before(" ")
        node.insert_after(" ")
    root = tree.body or tree.root
    if root is None:
        return ""
    return root.text(separator="")


def fingerprint(data):
    """SHA-256 of normalised text (str) or of raw bytes."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def quote_on_page(quote, normalised_page):
    """Whether `quote` is on the page whose text, already normalise()d, is given."""
    needle = normalise(quote)
    return bool(needle) and needle in normalised_page
