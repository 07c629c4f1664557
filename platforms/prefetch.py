"""Loading related rows for a page's objects, one query per relation.

Django's `prefetch_related` builds one filtered queryset per object for the rows it found
(`RelatedManager._apply_rel_filters`, a queryset clone with a WHERE clause each): on the list
page, with 30 platforms and a few hundred facts, citations and plan states, that was about
half the time of a cache miss. `attach_related` runs the same one query per relation and
hands each object its rows in a queryset whose filter is only built if something asks it
for more than its rows (`.filter()`, `.exists()` on a clone, and so on), so
`fact.citations.all()` and the templates read them as they would read a prefetch.
`attach_many` does the same for a many-to-many field (an encryption path's sources).
"""

import functools
from collections import defaultdict

from django.db.models import ManyToManyField
from django.db.models.fields.reverse_related import ManyToOneRel
from django.db.models.sql import Query


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
    keys = {getattr(instance, target) for instance in instances}
    rows = list(
        owners_first_dropped(queryset, field.name).filter(**{f"{field.attname}__in": keys})
    )
    by_key = defaultdict(list)
    for row in rows:
        by_key[getattr(row, field.attname)].append(row)
    for instance in instances:
        found = by_key.get(getattr(instance, target), [])
        for row in found:
            field.set_cached_value(row, instance)
        if to_attr:
            setattr(instance, to_attr, found)
            continue
        cache_rows(instance, field.remote_field.cache_name, queryset, found, field.name)
    return rows


def owners_first_dropped(queryset, owner):
    """`queryset` without ordering first by the object its rows belong to (as Fact's and
    Plan's Meta.ordering begin with "platform"): each object gets its own rows anyway, and
    the term joined the owner's table to order by its name."""
    ordering = queryset.query.order_by or (
        queryset.model._meta.ordering if queryset.query.default_ordering else ()
    )
    if ordering and ordering[0] in (owner, f"{owner}_id"):
        return queryset.order_by(*ordering[1:])
    return queryset


def attach_many(instances, name, queryset=None):
    """Load the rows of the many-to-many field `name` (e.g. "sources" of encryption paths)
    for every object in `instances` in one query of `queryset` (default: the related
    model's manager, in its order), read as the prefetched `instance.<name>.all()`. Returns
    all the rows loaded, each once."""
    instances = [instance for instance in instances if instance is not None]
    if not instances:
        return []
    field = type(instances[0])._meta.get_field(name)
    if not isinstance(field, ManyToManyField):
        raise TypeError(f"{name!r} is not a many-to-many field")
    model = field.related_model
    if queryset is None:
        queryset = model._default_manager.all()
    through = field.remote_field.through
    owner, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    # The through table's rows for these objects, with the rows they point at, in the
    # order of `queryset` (its own, else the related model's).
    ordering = queryset.query.order_by or model._meta.ordering
    links = through._base_manager.filter(**{f"{owner}__in": instances}).select_related(target)
    links = links.order_by(*(in_relation(target, term) for term in ordering), "pk")
    if queryset.query.has_filters():
        links = links.filter(**{f"{target}__in": queryset})
    by_owner, loaded = defaultdict(list), {}
    for link in links:
        row = getattr(link, target)
        by_owner[getattr(link, f"{owner}_id")].append(loaded.setdefault(row.pk, row))
    for instance in instances:
        found = by_owner.get(instance.pk, [])
        cache_rows(instance, field.name, queryset, found, field.related_query_name())
    return list(loaded.values())


def in_relation(relation, term):
    """An ordering term of a related model, read through the relation `relation`."""
    if not isinstance(term, str):
        raise TypeError(f"cannot order through {relation!r} by {term!r}")
    if term.startswith("-"):
        return f"-{relation}__{term[1:]}"
    return f"{relation}__{term}"


def cache_rows(instance, cache_name, queryset, rows, lookup):
    """Hand `instance` its related `rows` as the prefetched queryset of `cache_name`: what
    `instance.<relation>.filter(...)` would have started from (`queryset` filtered by
    `lookup=instance`), built only when something reads `.query`; until then the rows
    answer."""
    cached = rows_queryset_class(type(queryset))(
        model=queryset.model, query=LAZY, using=queryset.db
    )
    cached._deferred_filter = (False, (), {lookup: instance})
    cached._result_cache = rows
    cached._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[cache_name] = cached


# Stands in for a queryset's SQL query until it is read (truthy, so QuerySet.__init__
# keeps it rather than building one).
LAZY = object()


@functools.cache
def rows_queryset_class(queryset_class):
    """`queryset_class` whose `sql.Query` is only built when something reads it: every
    object of a page gets one of these for each relation, and building a Query each was
    a twentieth of an uncached list page."""

    def get_query(self):
        query = self.__dict__["_built_query"]
        if query is LAZY:
            query = self.__dict__["_built_query"] = Query(self.model)
        return query

    def set_query(self, value):
        self.__dict__["_built_query"] = value

    return type(
        queryset_class.__name__,
        (queryset_class,),
        {"_query": property(get_query, set_query), "__module__": queryset_class.__module__},
    )
