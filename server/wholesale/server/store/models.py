"""peewee models: how the tables look to the code. The DDL lives in migrations.py.

Instants are integer microseconds since the Unix epoch (UTC) and money is integer micros,
so both backends store, compare and sort them exactly alike.
"""

from __future__ import annotations

import peewee

from wholesale.server.store.database import db_proxy


class BaseModel(peewee.Model):
    class Meta:
        database = db_proxy
        legacy_table_names = False


class Account(BaseModel):
    id = peewee.AutoField()
    external_id = peewee.CharField(null=True, unique=True)
    legal_name = peewee.TextField()
    display_name = peewee.TextField()
    # display_name case-folded: the key of name ordering and of keyset pagination.
    sort_name = peewee.TextField(index=True)
    # Both names case-folded in Python, so "name :" matches alike on both backends
    # (SQLite's LOWER() folds ASCII only).
    search_text = peewee.TextField(default="")
    status = peewee.SmallIntegerField()
    status_before_close = peewee.SmallIntegerField(null=True)
    price_tier = peewee.CharField(default="")
    region = peewee.CharField(default="")
    currency_code = peewee.CharField(max_length=3)
    payment_terms_days = peewee.IntegerField(default=0)
    credit_limit_micros = peewee.BigIntegerField(default=0)
    manager = peewee.CharField(default="", index=True)
    contacts_json = peewee.TextField(default="[]")
    billing_address_json = peewee.TextField(default="{}")
    shipping_address_json = peewee.TextField(default="{}")
    create_time_us = peewee.BigIntegerField()
    update_time_us = peewee.BigIntegerField()
    delete_time_us = peewee.BigIntegerField(null=True)
    # Bumped by every change; the etag is derived from it.
    version = peewee.IntegerField(default=1)


class AccountTag(BaseModel):
    account = peewee.ForeignKeyField(Account, backref="tag_rows", on_delete="CASCADE")
    tag = peewee.CharField()

    class Meta:
        primary_key = peewee.CompositeKey("account", "tag")


class ApiToken(BaseModel):
    id = peewee.AutoField()
    token_hash = peewee.CharField(unique=True)
    subject = peewee.CharField()
    role = peewee.CharField()
    create_time_us = peewee.BigIntegerField()
    revoke_time_us = peewee.BigIntegerField(null=True)


class AuditEvent(BaseModel):
    id = peewee.AutoField()
    event_time_us = peewee.BigIntegerField()
    actor = peewee.CharField()
    role = peewee.CharField()
    method = peewee.CharField()
    resource = peewee.CharField()
    request_id = peewee.CharField(default="")
    changed_fields_json = peewee.TextField(default="[]")


class IdempotencyRecord(BaseModel):
    """The response to a mutation that carried a request_id, kept to answer its retries."""

    id = peewee.AutoField()
    actor = peewee.CharField()
    method = peewee.CharField()
    request_id = peewee.CharField()
    request_hash = peewee.CharField()
    response = peewee.BlobField()
    create_time_us = peewee.BigIntegerField()


class ServerSecret(BaseModel):
    """Keys shared by every server process on the database (e.g. the page-token key)."""

    name = peewee.CharField(primary_key=True)
    value = peewee.BlobField()


class SchemaMigration(BaseModel):
    version = peewee.IntegerField(primary_key=True)
    name = peewee.CharField()
    applied_time_us = peewee.BigIntegerField()
