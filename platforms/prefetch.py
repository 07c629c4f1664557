"""Loading related rows for a page's objects, one query per relation.

Django's `prefetch_related` builds one filtered queryset per object for the rows it found
(`RelatedManager._apply_rel_filters`, a queryset clone with a WHERE clause each): on the list
page, with 30 platforms and a few hundred facts, citations and plan states, that was about
half the time of a cache miss. `attach_related` runs the same one query per relation and
hands each object its rows in a queryset whose filter is only built if something asks it
for more than its rows (`.filter()`, `.exists()` on a clone, and so on), so
`fact.citations.all()` and the templates read them as they would read a prefetch.
`attach_many` does the same for a many-to-many field (an encryption path's sources).

A relation loaded through `Rows` also skips building and compiling its query: Django
writes its SQL once per process, database connection and number of objects, and each
page after that runs the same SQL with its own keys (see `Rows`).
"""

import functools
from collections import defaultdict

from django.db import connections, router
from django.db.models import ManyToManyField
from django.db.models.fields.reverse_related import ManyToOneRel
from django.db.models.query import ModelIterable, get_related_populators
from django.db.models.sql import Query


class Rows:
    """A queryset a page loads a relation's rows with, whose SQL Django compiles once.

    `build(*args)` returns the queryset (e.g. `Citation.objects.select_related("source")`).
    Its SQL for N keys is written by Django the first time it is needed, with stand-in
    keys, and kept; later loads of N keys run that SQL with the real keys in their place
    and turn the rows into instances as Django's ModelIterable does (related objects of
    `select_related` and annotations included). Building and compiling the queries was a
    fifth of an uncached page; the kept SQL is the same text Django would write.

    What `build` returns must not depend on anything but its arguments (not the time, the
    request or the data): the SQL and every parameter but the keys are kept. Querysets
    with `prefetch_related` or another iterable (values(), ...) are loaded by Django every
    time."""

    LIMIT = 512  # kept compilations per Rows, beyond which they start again

    def __init__(self, build):
        self.build = build
        self.compiled = {}
        self.model = None

    def bind(self, *args):
        return BoundRows(self, args)

    def every(self, args=()):
        """Every row of the queryset, in its order: for a queryset read whole (all the
        criteria), not by keys."""
        if self.model is None:
            self.model = self.build(*args).model
        return self.run(self.model, None, [], args, lambda: self.build(*args))

    def load(self, field, keys, args=()):
        """The rows of the queryset whose foreign key `field` is one of `keys`, in the
        queryset's order (but for ordering by that key first: owners_first_dropped)."""
        return self.run(
            field.model,
            field.attname,
            sorted(keys),
            args,
            lambda: owners_first_dropped(self.build(*args), field.name),
        )

    def run(self, model, column, keys, args, build):
        """The rows for `keys` of `column` (every row without a column), by the kept SQL, or
        by Django for a queryset Rows cannot keep."""
        connection = connections[router.db_for_read(model)]
        cache_key = (connection, column, len(keys), args)
        compiled = self.compiled.get(cache_key)
        if compiled is None:
            queryset = build()
            if not compilable(queryset, connection):
                if column is not None:
                    queryset = queryset.filter(**{f"{column}__in": keys})
                return list(queryset)
            if len(self.compiled) >= self.LIMIT:
                self.compiled.clear()
            compiled = self.compiled[cache_key] = CompiledRows(
                queryset, column, len(keys), connection
            )
        return compiled.run(keys)


def compilable(queryset, connection):
    """Whether Rows can keep `queryset`'s SQL and read its rows itself: model instances,
    nothing to prefetch after, and the database `connection` is the one it reads."""
    return (
        not queryset._prefetch_related_lookups
        and queryset._iterable_class is ModelIterable
        and connections[queryset.db] is connection
    )


class BoundRows:
    """A Rows with the arguments of its `build`."""

    def __init__(self, rows, args):
        self.rows, self.args = rows, args

    def load(self, field, keys):
        return self.rows.load(field, keys, self.args)


# Stand-in keys, which no row has, so their places among the SQL parameters can be found.
STAND_IN = 1 << 62


class CompiledRows:
    """One queryset's SQL for a number of keys, with where the keys go among its
    parameters, and how to turn its rows into instances (ModelIterable, once)."""

    def __init__(self, queryset, column, count, connection):
        stand_ins = [STAND_IN + n for n in range(count)]
        self.db = queryset.db
        if column is not None:  # else every row (Rows.every)
            queryset = queryset.filter(**{f"{column}__in": stand_ins})
        compiler = queryset.query.get_compiler(self.db, connection)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        wanted = set(stand_ins)
        at = {value: index for index, value in enumerate(self.params) if value in wanted}
        if sorted(at) != stand_ins:
            raise ValueError(f"cannot find the keys of {column} in the query's parameters")
        self.positions = [at[value] for value in stand_ins]
        self.compiler = compiler
        klass_info = compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in compiler.select[self.start : self.end]]
        self.annotations = list(compiler.annotation_col_map.items())
        self.klass_info, self.select = klass_info, compiler.select

    def run(self, keys):
        params = list(self.params)
        for position, key in zip(self.positions, keys, strict=True):
            params[position] = key
        compiler = self.compiler
        with compiler.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            results = cursor.fetchall()
        if compiler.has_extra_select:  # columns only the ordering needed, as Django drops
            results = [row[: compiler.col_count] for row in results]
        db, model, init_list = self.db, self.model, self.init_list
        start, end = self.start, self.end
        populators = [
            SharedRelated(populator)
            for populator in get_related_populators(self.klass_info, self.select, db)
        ]
        rows = []
        for row in compiler.results_iter([results]):
            obj = model.from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            rows.append(obj)
        return rows


class SharedRelated:
    """Django's RelatedPopulator for one `select_related` object, building each related row
    once per query: the comparison's 112 facts name 28 criteria, and their citations a few
    dozen sources. Rows that point at the same object share one instance."""

    def __init__(self, populator):
        self.populator = populator
        self.seen = {}

    def populate(self, row, from_obj):
        populator = self.populator
        if populator.reorder_for_init:
            data = populator.reorder_for_init(row)
        else:
            data = row[populator.cols_start : populator.cols_end]
        key = data[populator.pk_idx]
        obj = None
        if key is not None:
            obj = self.seen.get(key)
            if obj is None:
                obj = populator.model_cls.from_db(populator.db, populator.init_list, data)
                for nested in populator.related_populators:
                    nested.populate(row, obj)
                self.seen[key] = obj
        populator.local_setter(from_obj, obj)
        if obj is not None:
            populator.remote_setter(obj, from_obj)


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
        queryset = default_rows(model, field.name)
    target = field.target_field.attname
    keys = {getattr(instance, target) for instance in instances}
    if isinstance(queryset, Rows | BoundRows):
        rows = queryset.load(field, keys)
        queryset = model._default_manager.all()  # what each object's own queryset filters
    else:
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


@functools.cache
def default_rows(model, owner):
    """The related model's default manager, as Rows: what a relation loads without a
    queryset of its own (`owner`, the foreign key's name, keeps one Rows per relation)."""
    return Rows(lambda: model._default_manager.all())


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


def attach_many(instances, name):
    """Load the rows of the many-to-many field `name` (e.g. "sources" of encryption paths)
    for every object in `instances` in one query, in the related model's order, read as the
    prefetched `instance.<name>.all()`. Returns all the rows loaded, each once."""
    instances = [instance for instance in instances if instance is not None]
    if not instances:
        return []
    field = type(instances[0])._meta.get_field(name)
    if not isinstance(field, ManyToManyField):
        raise TypeError(f"{name!r} is not a many-to-many field")
    through = field.remote_field.through
    owner, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    # The through table's rows for these objects, with the rows they point at.
    links = links_rows(field).load(
        through._meta.get_field(owner), {instance.pk for instance in instances}
    )
    by_owner, loaded = defaultdict(list), {}
    for link in links:
        row = getattr(link, target)
        by_owner[getattr(link, f"{owner}_id")].append(loaded.setdefault(row.pk, row))
    queryset = field.related_model._default_manager.all()  # what each object's filters
    for instance in instances:
        found = by_owner.get(instance.pk, [])
        cache_rows(instance, field.name, queryset, found, field.related_query_name())
    return list(loaded.values())


@functools.cache
def links_rows(field):
    """The through table of the many-to-many `field` with the rows it points at, in their
    model's order, as Rows."""
    through, target = field.remote_field.through, field.m2m_reverse_field_name()
    ordering = [in_relation(target, term) for term in field.related_model._meta.ordering]
    return Rows(lambda: through._base_manager.select_related(target).order_by(*ordering, "pk"))


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
