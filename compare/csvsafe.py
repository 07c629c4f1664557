"""The one rule that keeps a CSV cell inert in a spreadsheet (CSV or formula injection).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage
return before one) as a formula. Which text starts a cell depends on the separator the
reader picks: a file written with commas, opened with `;` or a tab as the separator (as
spreadsheets in many locales do), splits `Checked;=1+1;ok` into three cells, the second a
live formula. So an apostrophe goes before a trigger at the start of the text AND after
every character any reader may split on (comma, semicolon, tab, line break), spaces and
quotes in between included. Spreadsheets show the apostrophe; the words stay readable.

Every CSV writer calls `csv_cell` on every cell, header rows included.
"""

import re

TRIGGERS = "=+-@\t\r"
# The start of the text, or a character some reader splits cells (or rows) on; then any
# spaces or quotes a reader may strip; then a trigger, which gets the apostrophe.
SEGMENT_START = re.compile(r"""(^|[,;\t\r\n])([ "]*)(?=[=+\-@\t\r])""")


def csv_cell(value):
    """`value` as the text of a CSV cell that no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return SEGMENT_START.sub(r"\1\2'", str(value))
