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
    # [{"field": ..., "old": ..., "new": ...}] in the JSON form of domain.audit.
    changes_json = peewee.TextField(default="[]")


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


class Product(BaseModel):
    id = peewee.AutoField()
    sku = peewee.CharField(unique=True)
    external_id = peewee.CharField(null=True, unique=True)
    name = peewee.TextField()
    # The name case-folded, for "name :" filters (see Account.search_text).
    search_text = peewee.TextField(default="")
    category = peewee.CharField(default="")
    selling_unit = peewee.CharField()
    pack_size = peewee.IntegerField(default=1)
    list_price_micros = peewee.BigIntegerField()
    currency_code = peewee.CharField(max_length=3)
    active = peewee.BooleanField()
    create_time_us = peewee.BigIntegerField()
    update_time_us = peewee.BigIntegerField()
    version = peewee.IntegerField(default=1)


class SalesOrder(BaseModel):
    """An order from the ERP. Days are counted from 1970-01-01 so SQL can subtract them."""

    id = peewee.AutoField()
    external_id = peewee.CharField(unique=True)
    account = peewee.ForeignKeyField(Account, backref="orders")
    order_day = peewee.IntegerField()
    status = peewee.SmallIntegerField()
    channel = peewee.SmallIntegerField()
    currency_code = peewee.CharField(max_length=3)
    total_micros = peewee.BigIntegerField()
    line_count = peewee.IntegerField()
    # Digest of everything the ERP sent: an identical resend is detected without
    # reading the lines back.
    content_hash = peewee.CharField()
    create_time_us = peewee.BigIntegerField()
    update_time_us = peewee.BigIntegerField()


class OrderLine(BaseModel):
    """account_id and order_day repeat the order's so per-account windows need no join."""

    order = peewee.ForeignKeyField(SalesOrder, backref="lines", on_delete="CASCADE")
    line_no = peewee.IntegerField()
    account_id = peewee.BigIntegerField()
    order_day = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product)
    quantity = peewee.BigIntegerField()
    unit_price_micros = peewee.BigIntegerField()
    line_total_micros = peewee.BigIntegerField()

    class Meta:
        primary_key = peewee.CompositeKey("order", "line_no")


class Invoice(BaseModel):
    id = peewee.AutoField()
    external_id = peewee.CharField(unique=True)
    account = peewee.ForeignKeyField(Account, backref="invoices")
    order = peewee.ForeignKeyField(SalesOrder, null=True)
    amount_micros = peewee.BigIntegerField()
    currency_code = peewee.CharField(max_length=3)
    issue_day = peewee.IntegerField()
    due_day = peewee.IntegerField()
    create_time_us = peewee.BigIntegerField()
    update_time_us = peewee.BigIntegerField()


class Payment(BaseModel):
    id = peewee.AutoField()
    external_id = peewee.CharField(unique=True)
    invoice = peewee.ForeignKeyField(Invoice, backref="payments")
    amount_micros = peewee.BigIntegerField()
    paid_day = peewee.IntegerField()
    create_time_us = peewee.BigIntegerField()
    update_time_us = peewee.BigIntegerField()
