"""Server settings: defaults < TOML file < environment < flags."""

import re
from pathlib import Path

import pytest

from wholesale.server.config import ConfigError, ServerConfig, concurrent_rpcs_limit, load_config


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


@pytest.mark.parametrize(
    ("written", "listen"),
    [
        ("localhost", "localhost:50051"),
        (" 0.0.0.0:6000 ", "0.0.0.0:6000"),
        ("[::1]:0", "[::1]:0"),
        ("[::]", "[::]:50051"),
    ],
)
def test_a_listen_address_is_written_out_in_full(written: str, listen: str) -> None:
    assert load_config({"listen": written}, environ={}).listen == listen


@pytest.mark.parametrize(
    ("name", "written", "message"),
    [
        ("listen", "127.0.0.1:99999", "port from 1 to 65535"),
        ("listen", "127.0.0.1:", "not HOST:PORT"),
        ("listen", ":50051", "not HOST:PORT"),
        ("listen", "::1", "not HOST:PORT"),
        (
            "listen",
            "http://127.0.0.1:51210",
            "a URL; write HOST:PORT without a scheme, such as 127.0.0.1:51210",
        ),
        ("metrics_listen", "127.0.0.1:70000", "port from 1 to 65535"),
        ("metrics_listen", "localhost", "such as 127.0.0.1:9464"),
        (
            "metrics_listen",
            "https://localhost:9464/metrics",
            "a URL; write HOST:PORT without a scheme, such as localhost:9464",
        ),
    ],
)
def test_an_address_that_is_not_host_and_port_is_refused(
    name: str, written: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=f"setting '{name}'.*{re.escape(message)}"):
        load_config({name: written}, environ={})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"WHOLESALE_DRAIN_SECONDS": "-1"}, "'drain_seconds' must be at least 0, got -1.0"),
        ({"WHOLESALE_GRACE_SECONDS": "nan"}, "'grace_seconds' must be at least 0, got nan"),
        ({"WHOLESALE_MAX_WORKERS": "0"}, "'max_workers' must be at least 1"),
        ({"WHOLESALE_CREDIT_GRACE_DAYS": "-3"}, "'credit_grace_days' must be at least 0"),
        ({"WHOLESALE_MAX_MESSAGE_BYTES": "0"}, "'max_message_bytes' must be at least 1"),
        ({"WHOLESALE_MAX_MESSAGE_BYTES": str(2**31)}, "'max_message_bytes' must be at most"),
        (
            {"WHOLESALE_MAX_CONCURRENT_RPCS": "8", "WHOLESALE_MAX_WORKERS": "16"},
            "'max_concurrent_rpcs' must be at least max_workers (16), got 8",
        ),
    ],
)
def test_a_number_out_of_range_is_refused_by_name(environ: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config({}, environ=environ)


def test_the_smallest_settings_that_work_are_accepted() -> None:
    environ = {"WHOLESALE_MAX_WORKERS": "1", "WHOLESALE_MAX_CONCURRENT_RPCS": "1"}
    config = load_config({"drain_seconds": 0.0, "grace_seconds": 0.0}, environ=environ)
    assert (config.max_workers, config.max_concurrent_rpcs, config.drain_seconds) == (1, 1, 0)


def test_the_call_limit_follows_the_worker_count_unless_set() -> None:
    many = load_config({"max_workers": 40}, environ={})
    assert concurrent_rpcs_limit(many) == 160
    assert concurrent_rpcs_limit(load_config({"max_workers": 2}, environ={})) == 64
    assert concurrent_rpcs_limit(load_config({"max_concurrent_rpcs": 10}, environ={})) == 10
