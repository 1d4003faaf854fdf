"""SQL building blocks that several stores share: text search, ordering, row locks, and
plain-SQL access where peewee's query building costs more than the database: statements
for many rows, long IN lists, hand-written aggregate queries."""

from __future__ import annotations

import functools
import hashlib
import operator
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import peewee

from wholesale.server.domain.access import AccountScope
from wholesale.server.store.database import db_proxy, is_postgres

# A filter condition's operator as SQL on a column (operators as domain.filters parses them).
COMPARISONS = {
    "=": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards taken literally (use with ``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# "column LIKE pattern" in hand-written SQL, backslash escaping on both backends.
LIKE = "LIKE ? ESCAPE '\\'"


def like(column: peewee.Node, pattern: str) -> peewee.Node:
    """``column LIKE pattern`` with backslash as the escape character on both backends."""
    return peewee.NodeList((column, peewee.SQL("LIKE"), pattern, peewee.SQL("ESCAPE '\\'")))


def contains(column: peewee.Node, text: str) -> peewee.Node:
    """Substring match of case-folded text, LIKE wildcards in ``text`` taken literally.

    ``column`` must hold text case-folded in Python (SQLite's LOWER() folds ASCII only)."""
    return like(column, f"%{escape_like(text.casefold())}%")


def path_or_below(column: peewee.Node, path: str) -> peewee.Node:
    """``column`` is ``path`` or a path below it: "a/b" matches "a/b" and "a/b/c", not "a/bc"."""
    return (column == path) | like(column, f"{escape_like(path)}/%")


def in_scope(
    query: peewee.ModelSelect, scope: AccountScope, manager: peewee.Field
) -> peewee.ModelSelect:
    """``query`` restricted to the accounts ``scope`` allows, ``manager`` being the account
    manager column the query reads: the access policy in SQL, for every store's lookups."""
    return query if scope.manager is None else query.where(manager == scope.manager)


def storable(values: Iterable) -> list:
    """The keys a lookup can find: a text holding NUL can never have been stored (validation
    refuses it, and PostgreSQL refuses the whole statement), so it is left out rather than
    failing the batch it came in."""
    return [v for v in values if not (isinstance(v, str) and "\x00" in v)]


def locked(query: peewee.ModelSelect, lock: bool) -> peewee.ModelSelect:
    """``query`` holding its rows until the transaction ends when ``lock`` is set
    (PostgreSQL; SQLite's write transaction already excludes other writers)."""
    return query.for_update() if lock and is_postgres() else query


def byte_order(column: peewee.Node) -> peewee.Node:
    """``column`` compared and sorted by code point on both backends, whatever the
    PostgreSQL database's collation (SQLite compares bytes already)."""
    return column.collate('"C"') if is_postgres() else column


def execute_many(sql: str, rows: Sequence[tuple]) -> None:
    """Runs ``sql`` (parameters written ``?``) once per row, in as few round trips as the
    driver allows: for many rows, peewee's query building costs more than the database."""
    if not rows:
        return
    cursor = db_proxy.obj.cursor()
    with peewee_errors():
        if is_postgres():
            from psycopg2.extras import execute_batch

            execute_batch(cursor, sql.replace("?", "%s"), rows, page_size=1000)
        else:
            cursor.executemany(sql, rows)


@contextmanager
def peewee_errors() -> Iterator[None]:
    """Errors of raw cursor work raised as peewee's (IntegrityError ...), as peewee's own
    queries raise them, so callers catch one kind whichever way a row was written."""
    with peewee.__exception_wrapper__:
        yield


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Inserts many rows in one round trip with the driver's own batching (sqlite3
    executemany, psycopg2 execute_values): for millions of order lines several times
    faster than peewee's insert_many, which builds one large SQL string in Python."""
    if not rows:
        return
    names = ", ".join(columns)
    cursor = db_proxy.obj.cursor()
    with peewee_errors():
        if is_postgres():
            from psycopg2.extras import execute_values

            sql = f"INSERT INTO {table} ({names}) VALUES %s"
            execute_values(cursor, sql, rows, page_size=1000)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


# Rows per multi-row INSERT ... RETURNING: within SQLite's 32,766 parameters for a dozen
# columns, and large enough that the statement overhead does not count.
RETURNING_CHUNK = 500


def insert_returning(
    table: str, columns: Sequence[str], rows: Sequence[tuple], returning: str
) -> list[tuple]:
    """Inserts many rows and returns ``returning`` (columns) of each, in no given order:
    the generated ids come back with the insert instead of from a second query. Multi-row
    VALUES, since neither driver's executemany hands back what RETURNING yields."""
    names = ", ".join(columns)
    cursor = db_proxy.obj.cursor()
    with peewee_errors():
        if is_postgres():
            from psycopg2.extras import execute_values

            sql = f"INSERT INTO {table} ({names}) VALUES %s RETURNING {returning}"
            return execute_values(cursor, sql, rows, page_size=RETURNING_CHUNK, fetch=True)
        row_marks = f"({', '.join('?' for _ in columns)})"
        returned: list[tuple] = []
        for start in range(0, len(rows), RETURNING_CHUNK):
            chunk = rows[start : start + RETURNING_CHUNK]
            marks = ", ".join(row_marks for _ in chunk)
            params = [value for row in chunk for value in row]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {marks} RETURNING {returning}", params
            )
            returned += cursor.fetchall()
        return returned


# SQLite accepts 32,766 parameters per statement; stay well below for IN lists.
IN_CHUNK = 5000


def select_where_in(select_sql: str, column: str, values: Iterable) -> list[tuple]:
    """Rows of ``select_sql`` (no WHERE) whose ``column`` is in ``values``, fetched in
    chunks with plain driver parameters: for thousands of keys peewee's per-value
    expression objects cost more than the query."""
    values = storable(values)
    database = db_proxy.obj
    rows: list[tuple] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        marks = ", ".join(database.param for _ in chunk)
        cursor = database.execute_sql(f"{select_sql} WHERE {column} IN ({marks})", chunk)
        rows += cursor.fetchall()
    return rows


@functools.lru_cache(maxsize=1024)
def _in_dialect(sql: str, param: str) -> str:
    return sql.replace("?", param)


def fetch_rows(sql: str, *params: object) -> list[tuple]:
    """Runs hand-written SQL whose parameters are written ``?`` on either backend."""
    return fetch(sql, params)


def execute(sql: str, *params: object) -> int:
    """Runs a hand-written statement that returns no rows; the number of rows it changed."""
    database = db_proxy.obj
    return database.execute_sql(_in_dialect(sql, database.param), params).rowcount


def fetch(sql: str, params: Sequence[object]) -> list[tuple]:
    """The rows of ``sql`` (parameters written ``?``), with no query building on the way.

    Read paths keep one SQL text per query shape (built once, see account_store) and
    pass it here with the call's values: generating the same text again on every call
    costs far more than the database's work for a keyed read."""
    database = db_proxy.obj
    return database.execute_sql(_in_dialect(sql, database.param), params).fetchall()


_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([a-z_]\w*)")
# The statements PREPAREd on each pooled PostgreSQL connection, by statement name.
_PREPARED: weakref.WeakKeyDictionary[object, set[str]] = weakref.WeakKeyDictionary()


def fetch_prepared(sql: str, **params: object) -> list[tuple]:
    """Runs hand-written SQL whose parameters are written ``:name``, planned once per
    connection. PostgreSQL plans a statement of many parts in more time than it runs it, so
    the statement is PREPAREd on a connection the first time it runs there and EXECUTEd from
    then on; SQLite's driver keeps the compiled statement by its text already."""
    database = db_proxy.obj
    if not is_postgres():
        return database.execute_sql(sql, params).fetchall()
    names = list(dict.fromkeys(_NAMED_PARAMETER.findall(sql)))
    statement = f"q_{hashlib.sha1(sql.encode()).hexdigest()[:20]}"
    prepared = _PREPARED.setdefault(database.connection(), set())
    if statement not in prepared:
        numbered = _NAMED_PARAMETER.sub(lambda m: f"${names.index(m.group(1)) + 1}", sql)
        database.execute_sql(f"PREPARE {statement} AS {numbered}")
        prepared.add(statement)
    marks = ", ".join("%s" for _ in names)
    return database.execute_sql(
        f"EXECUTE {statement} ({marks})", [params[name] for name in names]
    ).fetchall()
