"""Plain-SQL access where peewee's query building costs too much: bulk inserts, long IN
lists, and the hand-written aggregate queries of summaries.

Inserting many rows in one round trip uses the fastest way each backend offers.

peewee's insert_many builds one large SQL string in Python; for imports of millions of
order lines the driver's own batching (sqlite3 executemany, psycopg2 execute_values) is
several times faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from wholesale.server.store.database import db_proxy, is_postgres


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    if not rows:
        return
    names = ", ".join(columns)
    cursor = db_proxy.obj.cursor()
    if is_postgres():
        from psycopg2.extras import execute_values

        execute_values(cursor, f"INSERT INTO {table} ({names}) VALUES %s", rows, page_size=1000)
    else:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


# SQLite accepts 32,766 parameters per statement; stay well below for IN lists.
IN_CHUNK = 5000


def select_where_in(select_sql: str, column: str, values: Iterable) -> list[tuple]:
    """Rows of ``select_sql`` (no WHERE) whose ``column`` is in ``values``, fetched in
    chunks with plain driver parameters: for thousands of keys peewee's per-value
    expression objects cost more than the query."""
    values = list(values)
    database = db_proxy.obj
    rows: list[tuple] = []
    for start in range(0, len(values), IN_CHUNK):
        chunk = values[start : start + IN_CHUNK]
        marks = ", ".join(database.param for _ in chunk)
        cursor = database.execute_sql(f"{select_sql} WHERE {column} IN ({marks})", chunk)
        rows += cursor.fetchall()
    return rows


def fetch_rows(sql: str, *params: object) -> list[tuple]:
    """Runs hand-written SQL whose parameters are written ``?`` on either backend."""
    database = db_proxy.obj
    return database.execute_sql(sql.replace("?", database.param), params).fetchall()
