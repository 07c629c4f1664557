"""Small helpers that shape data for the pages: footnote numbering and group headings."""

from itertools import groupby

from platforms.models import Criterion


class Footnotes:
    """Numbers sources in order of first citation, so each page has one list of references."""

    def __init__(self):
        self.numbers = {}

    def refs(self, sources):
        numbers = []
        for source in sources:
            if source.pk not in self.numbers:
                self.numbers[source.pk] = (len(self.numbers) + 1, source)
            numbers.append(self.numbers[source.pk][0])
        return numbers

    def __iter__(self):
        return iter(self.numbers.values())

    def __len__(self):
        return len(self.numbers)


def grouped_by_criterion_group(items, key):
    """[(group label, [items])] in the site's group order; `key` gives an item's criterion."""
    labels = dict(Criterion.Group.choices)
    ordered = sorted(items, key=lambda item: (key(item).group_order, key(item).order))
    return [
        {"slug": group, "label": labels[group], "items": list(members)}
        for group, members in groupby(ordered, key=lambda item: key(item).group)
    ]
