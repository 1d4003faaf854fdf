"""Migrations and the schema guard, on both backends."""

import subprocess
import sys

import pytest

from wholesale.server.app import create_server
from wholesale.server.config import ServerConfig
from wholesale.server.store import database, migrations
from wholesale.server.store.models import SchemaMigration


def _open_migrated(url: str):
    db = database.open_database(url)
    migrations.migrate(db)
    return db


def test_migrate_is_recorded_and_repeatable(database_url: str) -> None:
    db = database.open_database(database_url)
    applied = migrations.migrate(db)
    assert [m.version for m in applied] == [m.version for m in migrations.MIGRATIONS]
    assert migrations.migrate(db) == []
    with db.connection_context():
        assert migrations.current_version(db) == migrations.LATEST_VERSION
        assert {"account", "audit_event", "api_token"} <= set(db.get_tables())
    database.close_database()


def test_server_migrates_an_empty_database_itself(database_url: str) -> None:
    server, _ = create_server(ServerConfig(listen="127.0.0.1:0", database_url=database_url))
    db = database.db_proxy.obj
    with db.connection_context():
        assert migrations.current_version(db) == migrations.LATEST_VERSION
    server.stop(0)
    database.close_database()


def test_server_refuses_a_newer_schema(database_url: str) -> None:
    db = _open_migrated(database_url)
    with db.connection_context():
        SchemaMigration.create(
            version=migrations.LATEST_VERSION + 1, name="future", applied_time_us=0
        )
    database.close_database()
    with pytest.raises(migrations.SchemaError, match="newer than this server"):
        create_server(ServerConfig(listen="127.0.0.1:0", database_url=database_url))
    database.close_database()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_command_refuses_a_schema_behind_with_a_clear_message(database_url: str) -> None:
    db = _open_migrated(database_url)
    with db.connection_context():
        SchemaMigration.delete().where(
            SchemaMigration.version == migrations.LATEST_VERSION
        ).execute()
    database.close_database()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wholesale.server.cli",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "run `wholesale-server migrate` first" in done.stderr
