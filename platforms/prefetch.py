"""Loading related rows for a page's objects, one query per relation.

Django's `prefetch_related` builds one filtered queryset per object for the rows it found
(`RelatedManager._apply_rel_filters`, a queryset clone with a WHERE clause each): on the list
page, with 30 platforms and a few hundred facts, citations and plan states, that was about
half the time of a cache miss. `attach_related` runs the same one query per relation and
hands each object its rows in a queryset whose filter is only built if something asks it
for more than its rows (`.filter()`, `.exists()` on a clone, and so on), so
`fact.citations.all()` and the templates read them as they would read a prefetch.
"""

from collections import defaultdict

from django.db.models.fields.reverse_related import ManyToOneRel


def attach_related(instances, related_name, queryset=None, *, to_attr=None):
    """Load the rows of the reverse foreign key `related_name` (e.g. "facts" of platforms)
    for every object in `instances` in one query of `queryset` (its ordering is kept), and
    attach them: as a list in `to_attr` when given, else as the prefetched
    `instance.<related_name>.all()`. Each row's foreign key is set to its object, so
    `row.<fk>` costs no query. Returns all the rows loaded, for the next level."""
    instances = [instance for instance in instances if instance is not None]
    if not instances:
        return []
    relation = type(instances[0])._meta.get_field(related_name)
    if not isinstance(relation, ManyToOneRel) or relation.many_to_many:
        raise TypeError(f"{related_name!r} is not a reverse foreign key")
    field = relation.field  # the foreign key on the related model
    model = relation.related_model
    if queryset is None:
        queryset = model._default_manager.all()
    target = field.target_field.attname
    rows = list(queryset.filter(**{f"{field.name}__in": instances}))
    by_key = defaultdict(list)
    for row in rows:
        by_key[getattr(row, field.attname)].append(row)
    queryset_class = type(queryset)
    for instance in instances:
        found = by_key.get(getattr(instance, target), [])
        for row in found:
            field.set_cached_value(row, instance)
        if to_attr:
            setattr(instance, to_attr, found)
            continue
        cached = queryset_class(model=model, using=queryset.db)
        # What `instance.<related_name>.filter(...)` would have started from, built only
        # when something reads `.query`; until then the rows below answer.
        cached._deferred_filter = (False, (), {field.name: instance})
        cached._result_cache = found
        cached._prefetch_done = True
        if not hasattr(instance, "_prefetched_objects_cache"):
            instance._prefetched_objects_cache = {}
        instance._prefetched_objects_cache[field.remote_field.cache_name] = cached
    return rows
