"""The CLI's settings: flag > environment > config file > default, and the config file itself.

The file is TOML with string values (``server = "host:50051"``) so people can also edit it
by hand; it may hold a token, so it is written readable by its owner only.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click

OUTPUT_FORMATS = ("table", "json", "csv")
DEFAULTS: dict[str, str | None] = {
    "server": "127.0.0.1:50051",
    "token": None,
    "ca_file": None,
    "output": "table",
}
KEYS = tuple(DEFAULTS)
DEFAULT_PORT = 50051
# HOST[:PORT] with a DNS name or IPv4 address, or [IPv6][:PORT].
_ADDRESS = re.compile(
    r"(?P<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*)|\[[0-9A-Fa-f:.]+\])(?::(?P<port>\d+))?"
)
ENVIRONMENT = {
    "server": "WHOLESALE_SERVER",
    "token": "WHOLESALE_TOKEN",
    "ca_file": "WHOLESALE_CA_FILE",
}


class ConfigError(click.ClickException):
    """The config file cannot be read or holds something the CLI does not understand; exits
    like any other invalid input."""

    exit_code = 2


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``WHOLESALE_CLI_CONFIG``, else ``$XDG_CONFIG_HOME/wholesale/config.toml``
    (``~/.config`` when unset), following the XDG base directory convention."""
    if environ.get("WHOLESALE_CLI_CONFIG"):
        return Path(environ["WHOLESALE_CLI_CONFIG"])
    base = environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "wholesale" / "config.toml"


def check_key(key: str, origin: str | None = None) -> None:
    """Refuses a key that is not a setting, listing the ones that are. ``origin`` says
    where the key was written (a file); None for the command line being run."""
    if key not in DEFAULTS:
        raise ConfigError(
            f"unknown setting {key!r}{_in(origin)}: the settings are {', '.join(KEYS)}"
        )


def check_value(key: str, value: str, origin: str | None = None) -> None:
    """Refuses an unknown key or a value the CLI could not use, saying what is valid."""
    check_key(key, origin)
    if key == "output" and value not in OUTPUT_FORMATS:
        raise ConfigError(f"output{_in(origin)} must be one of {', '.join(OUTPUT_FORMATS)}")


def _in(origin: str | None) -> str:
    """`` in FILE`` for a message about a value that came from somewhere else than the
    command line being run, where the person must look to fix it."""
    return f" in {origin}" if origin else ""


def server_target(address: str, origin: str | None = None) -> str:
    """The ``HOST:PORT`` gRPC dials for a server address as people write it: a missing
    port is the server's default (gRPC alone would dial 443), and a URL or anything else
    gRPC would only fail to reach later, as "unreachable", is refused now saying why."""
    written = address.strip()
    if "://" in written:
        example = written.split("://", 1)[1].rstrip("/") or "localhost:50051"
        raise ConfigError(
            f"server {address!r}{_in(origin)} is a URL; write HOST:PORT without a scheme, "
            f"such as {example}"
        )
    match = _ADDRESS.fullmatch(written)
    port = int(match["port"]) if match and match["port"] else DEFAULT_PORT
    if match is None or not 1 <= port <= 65535:
        raise ConfigError(
            f"server {address!r}{_in(origin)} is not an address; write HOST or HOST:PORT "
            f"(port 1-65535, default {DEFAULT_PORT}), such as localhost:50051 or [::1]:50051"
        )
    return f"{match['host']}:{port}"


def load_config(path: Path) -> dict[str, str]:
    """The saved settings; a missing file is simply empty."""
    try:
        values = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    for key, value in values.items():
        if not isinstance(value, str):
            raise ConfigError(f"setting {key!r} in {path} must be a string")
        check_value(key, value, str(path))
    return values


def save_config(path: Path, values: Mapping[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{key} = {_toml_string(value)}\n" for key, value in sorted(values.items()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def save_setting(path: Path, key: str, value: str) -> None:
    """Saves one checked setting, keeping the others in the file."""
    check_value(key, value)
    if key == "server":
        server_target(value)
    save_config(path, {**load_config(path), key: value})


def remove_setting(path: Path, key: str) -> bool:
    """Removes one setting from the file; False if it was not there (nothing to do)."""
    check_key(key)
    saved = load_config(path)
    if saved.pop(key, None) is None:
        return False
    save_config(path, saved)
    return True


def _toml_string(value: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, except DEL must be escaped too."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


@dataclass(frozen=True)
class Setting:
    value: str | None
    source: str  # "flag", "env", "config" or "default"


def resolve(
    given: Mapping[str, tuple[str | None, str]], saved: Mapping[str, str]
) -> dict[str, Setting]:
    """Merges the sources; ``given`` maps each key to (value, "flag"|"env") or (None, "")."""
    settings = {}
    for key, default in DEFAULTS.items():
        value, source = given.get(key, (None, ""))
        if value is not None:
            settings[key] = Setting(value, source)
        elif key in saved:
            settings[key] = Setting(saved[key], "config")
        else:
            settings[key] = Setting(default, "default")
    return settings


def mask_token(token: str) -> str:
    """Enough of the token to tell two apart, never enough to use it."""
    return f"****{token[-4:]}" if len(token) >= 12 else "****"
