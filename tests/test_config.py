"""Server settings: defaults < TOML file < environment < flags."""

from pathlib import Path

import pytest

from wholesale.server.config import ConfigError, ServerConfig, load_config


def test_defaults_serve_locally_on_an_embedded_database() -> None:
    config = load_config({}, environ={})
    assert config == ServerConfig()
    assert config.listen == "127.0.0.1:50051"
    assert config.database_url == "sqlite:///wholesale.db"


def test_each_source_overrides_the_one_before(tmp_path: Path) -> None:
    toml = tmp_path / "server.toml"
    toml.write_text('listen = "0.0.0.0:6000"\ngrace_seconds = 3\nlog_level = "DEBUG"\n')
    environ = {"WHOLESALE_LISTEN": "0.0.0.0:7000", "WHOLESALE_MAX_WORKERS": "4"}
    config = load_config({"max_workers": 8, "tls_cert": None}, str(toml), environ)
    assert config.listen == "0.0.0.0:7000"  # env beats file
    assert config.max_workers == 8  # flag beats env
    assert config.grace_seconds == 3.0 and config.log_level == "DEBUG"  # file beats default


def test_database_url_from_the_platform_variable_and_the_wholesale_one() -> None:
    assert load_config({}, environ={"DATABASE_URL": "postgresql://h/db"}).database_url == (
        "postgresql://h/db"
    )
    both = {"DATABASE_URL": "postgresql://h/a", "WHOLESALE_DATABASE_URL": "postgresql://h/b"}
    assert load_config({}, environ=both).database_url == "postgresql://h/b"


@pytest.mark.parametrize(
    ("flags", "toml", "message"),
    [
        ({"tls_cert": "c.pem"}, "", "go together"),
        ({"tls_client_ca": "ca.pem"}, "", "needs --tls-cert"),
        ({}, "colour = 'red'\n", "unknown setting"),
        ({}, "max_workers = 'many'\n", "must be a number"),
        ({}, "listen = \n", "cannot read config file"),
    ],
)
def test_bad_settings_are_named(tmp_path: Path, flags: dict, toml: str, message: str) -> None:
    path = tmp_path / "server.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_config(flags, str(path), environ={})
