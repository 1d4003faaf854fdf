"""Numbered schema migrations, recorded in the ``schema_migration`` table.

Each migration is frozen DDL: later model changes never alter what an old migration does,
so a database built step by step equals one built from scratch. A few tokens in the SQL
stand for what the two backends spell differently.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import peewee

from wholesale.server.store.database import is_postgres
from wholesale.server.store.models import SchemaMigration

_DIALECTS = {
    "sqlite": {"{pk}": "INTEGER PRIMARY KEY AUTOINCREMENT", "{blob}": "BLOB", "{bytewise}": ""},
    "postgres": {"{pk}": "BIGSERIAL PRIMARY KEY", "{blob}": "BYTEA", "{bytewise}": 'COLLATE "C"'},
}

_INITIAL_SCHEMA = """
CREATE TABLE account (
    id {pk},
    external_id VARCHAR(100) UNIQUE,
    legal_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    sort_name TEXT {bytewise} NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    status SMALLINT NOT NULL,
    status_before_close SMALLINT,
    price_tier VARCHAR(40) NOT NULL DEFAULT '',
    region VARCHAR(100) NOT NULL DEFAULT '',
    currency_code VARCHAR(3) NOT NULL,
    payment_terms_days INTEGER NOT NULL DEFAULT 0,
    credit_limit_micros BIGINT NOT NULL DEFAULT 0,
    manager VARCHAR(100) NOT NULL DEFAULT '',
    contacts_json TEXT NOT NULL DEFAULT '[]',
    billing_address_json TEXT NOT NULL DEFAULT '{}',
    shipping_address_json TEXT NOT NULL DEFAULT '{}',
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL,
    delete_time_us BIGINT,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX account_sort_name ON account (sort_name, id);
CREATE INDEX account_create_time ON account (create_time_us, id);
CREATE INDEX account_manager ON account (manager);
CREATE INDEX account_status ON account (status);
CREATE TABLE account_tag (
    account_id BIGINT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    tag VARCHAR(40) NOT NULL,
    PRIMARY KEY (account_id, tag)
);
CREATE INDEX account_tag_tag ON account_tag (tag, account_id);
CREATE TABLE api_token (
    id {pk},
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    subject VARCHAR(100) NOT NULL,
    role VARCHAR(20) NOT NULL,
    create_time_us BIGINT NOT NULL,
    revoke_time_us BIGINT
);
CREATE TABLE audit_event (
    id {pk},
    event_time_us BIGINT NOT NULL,
    actor VARCHAR(100) NOT NULL,
    role VARCHAR(20) NOT NULL,
    method VARCHAR(200) NOT NULL,
    resource VARCHAR(200) NOT NULL,
    request_id VARCHAR(128) NOT NULL DEFAULT '',
    changed_fields_json TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_event_resource ON audit_event (resource);
CREATE INDEX audit_event_actor ON audit_event (actor);
CREATE TABLE idempotency_record (
    id {pk},
    actor VARCHAR(120) NOT NULL,
    method VARCHAR(200) NOT NULL,
    request_id VARCHAR(128) NOT NULL,
    request_hash VARCHAR(64) NOT NULL,
    response {blob} NOT NULL,
    create_time_us BIGINT NOT NULL,
    UNIQUE (actor, method, request_id)
);
CREATE TABLE server_secret (
    name VARCHAR(100) PRIMARY KEY,
    value {blob} NOT NULL
);
"""


_ERP_HISTORY = """
CREATE TABLE product (
    id {pk},
    sku VARCHAR(64) NOT NULL UNIQUE,
    external_id VARCHAR(100) UNIQUE,
    name TEXT NOT NULL,
    search_text TEXT NOT NULL DEFAULT '',
    category VARCHAR(200) NOT NULL DEFAULT '',
    selling_unit VARCHAR(40) NOT NULL,
    pack_size INTEGER NOT NULL DEFAULT 1,
    list_price_micros BIGINT NOT NULL,
    currency_code VARCHAR(3) NOT NULL,
    active BOOLEAN NOT NULL,
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX product_category ON product (category);
CREATE TABLE sales_order (
    id {pk},
    external_id VARCHAR(100) NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES account (id),
    order_day INTEGER NOT NULL,
    status SMALLINT NOT NULL,
    channel SMALLINT NOT NULL,
    currency_code VARCHAR(3) NOT NULL,
    total_micros BIGINT NOT NULL,
    line_count INTEGER NOT NULL,
    content_hash VARCHAR(32) NOT NULL,
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL
);
CREATE INDEX sales_order_account_day ON sales_order (account_id, order_day);
CREATE INDEX sales_order_day ON sales_order (order_day, id);
CREATE TABLE order_line (
    order_id BIGINT NOT NULL REFERENCES sales_order (id) ON DELETE CASCADE,
    line_no INTEGER NOT NULL,
    account_id BIGINT NOT NULL,
    order_day INTEGER NOT NULL,
    product_id BIGINT NOT NULL REFERENCES product (id),
    quantity BIGINT NOT NULL,
    unit_price_micros BIGINT NOT NULL,
    line_total_micros BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_line_account_day ON order_line (account_id, order_day);
CREATE TABLE invoice (
    id {pk},
    external_id VARCHAR(100) NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES account (id),
    order_id BIGINT REFERENCES sales_order (id),
    amount_micros BIGINT NOT NULL,
    currency_code VARCHAR(3) NOT NULL,
    issue_day INTEGER NOT NULL,
    due_day INTEGER NOT NULL,
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL
);
CREATE INDEX invoice_account_due ON invoice (account_id, due_day);
CREATE TABLE payment (
    id {pk},
    external_id VARCHAR(100) NOT NULL UNIQUE,
    invoice_id BIGINT NOT NULL REFERENCES invoice (id),
    amount_micros BIGINT NOT NULL,
    paid_day INTEGER NOT NULL,
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL
);
CREATE INDEX payment_invoice ON payment (invoice_id, paid_day);
"""

# The audit log keeps old and new values of the changed fields, and is filtered by time.
_AUDIT_VALUES = """
ALTER TABLE audit_event ADD COLUMN changes_json TEXT NOT NULL DEFAULT '[]';
CREATE INDEX audit_event_time ON audit_event (event_time_us, id)
"""

# Pricing. Lists, rules and contract prices are identities with versions: a change inserts
# a version and closes the previous one (superseded_us), so "as recorded at T" is
# recorded_us <= T < superseded_us (NULL: still current). Audiences are kept twice: as JSON
# on the version (what the list says) and as rows (what a quote matches by index).
_PRICING = """
CREATE TABLE price_list (
    id {pk},
    current_version INTEGER NOT NULL,
    create_time_us BIGINT NOT NULL
);
CREATE TABLE price_list_version (
    list_id BIGINT NOT NULL REFERENCES price_list (id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    currency_code VARCHAR(3) NOT NULL,
    status VARCHAR(10) NOT NULL,
    start_us BIGINT,
    end_us BIGINT,
    priority INTEGER NOT NULL,
    increment_micros BIGINT NOT NULL,
    everyone BOOLEAN NOT NULL,
    audience_json TEXT NOT NULL,
    parent_id BIGINT,
    parent_discount VARCHAR(24) NOT NULL,
    recorded_us BIGINT NOT NULL,
    superseded_us BIGINT,
    PRIMARY KEY (list_id, version)
);
CREATE INDEX price_list_version_everyone ON price_list_version (everyone, superseded_us);
CREATE TABLE price_list_audience (
    list_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    kind VARCHAR(8) NOT NULL,
    value VARCHAR(100) NOT NULL,
    PRIMARY KEY (list_id, version, kind, value),
    FOREIGN KEY (list_id, version) REFERENCES price_list_version (list_id, version)
);
CREATE INDEX price_list_audience_value ON price_list_audience (kind, value);
CREATE TABLE price_rule (
    id {pk},
    list_id BIGINT NOT NULL REFERENCES price_list (id),
    external_id VARCHAR(100),
    target_key VARCHAR(400),
    current_version INTEGER NOT NULL
);
CREATE UNIQUE INDEX price_rule_external_id ON price_rule (list_id, external_id);
CREATE UNIQUE INDEX price_rule_target_key ON price_rule (list_id, target_key);
CREATE TABLE price_rule_version (
    rule_id BIGINT NOT NULL REFERENCES price_rule (id),
    version INTEGER NOT NULL,
    list_id BIGINT NOT NULL,
    sku VARCHAR(64) NOT NULL,
    category VARCHAR(200) NOT NULL,
    basis VARCHAR(10) NOT NULL,
    fixed_price_micros BIGINT NOT NULL,
    discount VARCHAR(24) NOT NULL,
    breaks_json TEXT NOT NULL,
    mode VARCHAR(10) NOT NULL,
    quantity_level VARCHAR(10) NOT NULL,
    min_quantity BIGINT NOT NULL,
    quantity_increment BIGINT NOT NULL,
    max_quantity BIGINT NOT NULL,
    start_us BIGINT,
    end_us BIGINT,
    deleted BOOLEAN NOT NULL,
    recorded_us BIGINT NOT NULL,
    superseded_us BIGINT,
    PRIMARY KEY (rule_id, version)
);
CREATE INDEX price_rule_version_sku ON price_rule_version (list_id, sku, superseded_us);
CREATE INDEX price_rule_version_category ON price_rule_version (list_id, category, superseded_us);
CREATE TABLE contract_price (
    id {pk},
    account_id BIGINT NOT NULL REFERENCES account (id),
    current_version INTEGER NOT NULL,
    create_time_us BIGINT NOT NULL
);
CREATE TABLE contract_price_version (
    contract_id BIGINT NOT NULL REFERENCES contract_price (id),
    version INTEGER NOT NULL,
    account_id BIGINT NOT NULL,
    sku VARCHAR(64) NOT NULL,
    unit_price_micros BIGINT NOT NULL,
    currency_code VARCHAR(3) NOT NULL,
    start_us BIGINT NOT NULL,
    end_us BIGINT,
    note TEXT NOT NULL DEFAULT '',
    deleted BOOLEAN NOT NULL,
    recorded_us BIGINT NOT NULL,
    superseded_us BIGINT,
    PRIMARY KEY (contract_id, version)
);
CREATE INDEX contract_price_version_account
    ON contract_price_version (account_id, sku, superseded_us);
CREATE TABLE saved_quote (
    id {pk},
    account_id BIGINT NOT NULL REFERENCES account (id),
    quote_bytes {blob},
    create_time_us BIGINT NOT NULL,
    expire_time_us BIGINT NOT NULL
);
CREATE INDEX saved_quote_account ON saved_quote (account_id, create_time_us)
"""


# Tiers by policy. The policy is versioned as a whole (the highest version is current; a
# concurrent replacement clashes on the key); each change of an account's tier is kept with
# the spend that caused it; a pinned tier is one the review leaves alone. A job claims its
# day in job_run before it runs, so several servers on one database run it once a day.
_TIERS = """
CREATE TABLE tier_policy_version (
    version INTEGER NOT NULL PRIMARY KEY,
    currency_code VARCHAR(3) NOT NULL,
    default_tier VARCHAR(40) NOT NULL,
    hysteresis_percent VARCHAR(24) NOT NULL,
    thresholds_json TEXT NOT NULL,
    recorded_us BIGINT NOT NULL,
    actor VARCHAR(100) NOT NULL
);
CREATE TABLE tier_change (
    id {pk},
    account_id BIGINT NOT NULL REFERENCES account (id),
    from_tier VARCHAR(40) NOT NULL,
    to_tier VARCHAR(40) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    trailing_spend_micros BIGINT,
    threshold_micros BIGINT,
    currency_code VARCHAR(3) NOT NULL,
    change_time_us BIGINT NOT NULL,
    reason TEXT NOT NULL,
    actor VARCHAR(100) NOT NULL
);
CREATE INDEX tier_change_account ON tier_change (account_id, change_time_us, id);
CREATE INDEX tier_change_time ON tier_change (change_time_us, id);
ALTER TABLE account ADD COLUMN price_tier_pinned BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE job_run (
    job VARCHAR(100) NOT NULL,
    day INTEGER NOT NULL,
    claim_time_us BIGINT NOT NULL,
    PRIMARY KEY (job, day)
)
"""


# A list's rules in id order, read a page at a time (ListPriceRules, the conflict listing):
# without it a page sorts every rule of the list. On the versions, so that the page is one
# range of one index (PostgreSQL would merge-join identities and versions from the first).
_RULES_BY_LIST = """
CREATE INDEX price_rule_version_list ON price_rule_version (list_id, rule_id)
"""


# Standing orders. A schedule keeps its pending occurrence (day, due and reminder time;
# NULL unless active) where the dispatcher finds the due ones by index; each decided
# occurrence is a row keyed by (schedule, local day), so none is decided twice.
_REORDERS = """
CREATE TABLE reorder_schedule (
    id {pk},
    account_id BIGINT NOT NULL REFERENCES account (id),
    lines_json TEXT NOT NULL,
    rule VARCHAR(500) NOT NULL,
    month_end VARCHAR(10) NOT NULL,
    start_day INTEGER NOT NULL,
    time_zone VARCHAR(64) NOT NULL,
    time_of_day_minutes INTEGER NOT NULL,
    end_day INTEGER,
    occurrence_count INTEGER,
    lead_us BIGINT NOT NULL,
    catch_up VARCHAR(10) NOT NULL,
    status VARCHAR(10) NOT NULL,
    next_day INTEGER,
    next_due_us BIGINT,
    next_reminder_us BIGINT,
    missed_count INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL,
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL
);
CREATE INDEX reorder_schedule_account ON reorder_schedule (account_id, id);
CREATE INDEX reorder_schedule_reminder ON reorder_schedule (next_reminder_us, id);
CREATE INDEX reorder_schedule_due ON reorder_schedule (next_due_us, id);
CREATE TABLE reorder_occurrence (
    schedule_id BIGINT NOT NULL REFERENCES reorder_schedule (id),
    day INTEGER NOT NULL,
    due_us BIGINT NOT NULL,
    reminder_us BIGINT NOT NULL,
    state VARCHAR(10) NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    update_time_us BIGINT NOT NULL,
    PRIMARY KEY (schedule_id, day)
)
"""


# The dispatcher's work and what it tells the world. A schedule claimed by a dispatcher
# holds a lease until it is done (a crashed process's lease runs out and another takes
# the schedule over); a failed attempt is kept on the schedule with its time of retry.
# Drafts are keyed by (schedule, day) like the occurrences, so none is made twice.
# Events are the outbox and the change feed: each row is written in the transaction of
# the change it reports; ``txid`` (PostgreSQL's transaction id, 0 on SQLite's single
# writer) orders them so a reader never passes one that is still to commit.
_DISPATCH = """
ALTER TABLE reorder_schedule ADD COLUMN lease_owner VARCHAR(100);
ALTER TABLE reorder_schedule ADD COLUMN lease_until_us BIGINT;
ALTER TABLE reorder_schedule ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reorder_schedule ADD COLUMN last_failure TEXT NOT NULL DEFAULT '';
ALTER TABLE reorder_occurrence ADD COLUMN draft_id BIGINT;
CREATE TABLE draft_reorder (
    id {pk},
    account_id BIGINT NOT NULL REFERENCES account (id),
    schedule_id BIGINT NOT NULL,
    day INTEGER NOT NULL,
    state VARCHAR(10) NOT NULL,
    currency_code VARCHAR(3) NOT NULL,
    total_micros BIGINT NOT NULL,
    lines_json TEXT NOT NULL,
    price_time_us BIGINT NOT NULL,
    expire_time_us BIGINT NOT NULL,
    order_id BIGINT,
    reason TEXT NOT NULL DEFAULT '',
    decided_by VARCHAR(100) NOT NULL DEFAULT '',
    version INTEGER NOT NULL,
    create_time_us BIGINT NOT NULL,
    update_time_us BIGINT NOT NULL,
    UNIQUE (schedule_id, day)
);
CREATE INDEX draft_reorder_account ON draft_reorder (account_id, id);
CREATE INDEX draft_reorder_open ON draft_reorder (state, expire_time_us, id);
CREATE TABLE event (
    id {pk},
    txid BIGINT NOT NULL,
    type VARCHAR(64) NOT NULL,
    account_id BIGINT,
    subject VARCHAR(200) NOT NULL,
    data_json TEXT NOT NULL,
    create_time_us BIGINT NOT NULL
);
CREATE INDEX event_position ON event (txid, id);
CREATE INDEX event_time ON event (create_time_us, id)
"""


def _rules_looked_up_by_sku(database: peewee.Database) -> None:
    """PostgreSQL estimates a list's rules as the average of all lists. A price book is
    skewed (a base list of thousands of rules, many named lists of a few), so it would
    read every rule of the base list for a quote instead of looking up the quote's SKUs.
    Declaring list_id to have one distinct value makes it look up by (list, SKU), which is
    right whatever the sizes: a quote never reads the rules of products it does not price.
    SQLite's planner looks them up already."""
    if is_postgres():
        database.execute_sql(
            "ALTER TABLE price_rule_version ALTER COLUMN list_id SET (n_distinct = 1)"
        )
        database.execute_sql("ANALYZE price_rule_version")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[peewee.Database], None]


def _run_script(script: str) -> Callable[[peewee.Database], None]:
    def apply(database: peewee.Database) -> None:
        dialect = _DIALECTS["postgres" if is_postgres() else "sqlite"]
        for statement in filter(str.strip, script.split(";")):
            for token, spelling in dialect.items():
                statement = statement.replace(token, spelling)
            database.execute_sql(statement)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "accounts, tokens, audit log, idempotency", _run_script(_INITIAL_SCHEMA)),
    Migration(2, "catalog, orders, invoices, payments", _run_script(_ERP_HISTORY)),
    Migration(3, "audit values and time index", _run_script(_AUDIT_VALUES)),
    Migration(4, "price lists, rules, contract prices, saved quotes", _run_script(_PRICING)),
    Migration(5, "tier policy, tier changes, pinned tiers, job runs", _run_script(_TIERS)),
    Migration(6, "quotes look rules up by list and SKU", _rules_looked_up_by_sku),
    Migration(7, "a list's rules in id order", _run_script(_RULES_BY_LIST)),
    Migration(8, "standing orders and their occurrences", _run_script(_REORDERS)),
    Migration(9, "dispatch leases, draft reorders, events", _run_script(_DISPATCH)),
)
LATEST_VERSION = MIGRATIONS[-1].version


class SchemaError(RuntimeError):
    """The database schema does not match this code; the message says what to do."""


def current_version(database: peewee.Database) -> int:
    """The highest applied migration, 0 for an empty database."""
    if not database.table_exists(SchemaMigration._meta.table_name):
        return 0
    return SchemaMigration.select(peewee.fn.MAX(SchemaMigration.version)).scalar() or 0


def _lock_for_migration(database: peewee.Database) -> None:
    """Serialises concurrent migrators: several servers may start on one PostgreSQL."""
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(7460332)")


def migrate(database: peewee.Database) -> list[Migration]:
    """Applies every pending migration, each in its own transaction; returns those applied."""
    applied = []
    with database.connection_context():
        with database.atomic():
            _lock_for_migration(database)
            database.create_tables([SchemaMigration], safe=True)
        for migration in MIGRATIONS:
            with database.atomic():
                _lock_for_migration(database)
                if current_version(database) >= migration.version:
                    continue
                migration.apply(database)
                SchemaMigration.create(
                    version=migration.version,
                    name=migration.name,
                    applied_time_us=time.time_ns() // 1000,
                )
                applied.append(migration)
    return applied


def ensure_schema(database: peewee.Database) -> None:
    """Migrates an empty database; refuses one that is behind or ahead of this code."""
    with database.connection_context():
        version = current_version(database)
        has_tables = bool(database.get_tables())
    if version == 0 and not has_tables:
        migrate(database)
        return
    if version < LATEST_VERSION:
        raise SchemaError(
            f"the database schema is at version {version}, this server needs "
            f"{LATEST_VERSION}: run `wholesale-server migrate` first"
        )
    if version > LATEST_VERSION:
        raise SchemaError(
            f"the database schema is at version {version}, newer than this server "
            f"understands ({LATEST_VERSION}): upgrade the server"
        )
