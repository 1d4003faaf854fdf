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
from dataclasses import dataclass, field
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
# How much of a CA file is searched for its BEGIN CERTIFICATE line.
MAX_PEM_SCAN = 1 << 20
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
    problem = value_problem(key, value)
    if problem:
        raise ConfigError(f"{key}{_in(origin)} {problem}")


def value_problem(key: str, value: object) -> str | None:
    """Why ``value`` cannot be the setting ``key`` (None when it can), in words that follow
    the setting's name and where it came from ("output in FILE must be ...")."""
    if not isinstance(value, str):
        return f"must be a string in double quotes, not {value!r}"
    if key == "output" and value not in OUTPUT_FORMATS:
        return f"must be one of {', '.join(OUTPUT_FORMATS)}"
    if key == "token":
        return token_problem(value)
    if key == "ca_file":
        return ca_file_problem(value)
    return None


def token_problem(token: str) -> str | None:
    """A token is printable ASCII without spaces; anything else (a pasted ``\\r``, an
    accented letter) would reach gRPC as an illegal header value, so it is refused here."""
    odd = sorted({character for character in token if not "!" <= character <= "~"})
    if not odd:
        return None
    shown = ", ".join(repr(character) for character in odd[:5])
    return f"holds characters a token never has ({shown}); copy the token again"


def ca_file_problem(path: str) -> str | None:
    """A CA file must be a readable PEM certificate; gRPC would only fail at the first call,
    with a core log line and "unreachable", without naming the setting."""
    try:
        head = Path(path).expanduser().read_bytes()[:MAX_PEM_SCAN]
    except OSError as exc:
        return f"{path!r} cannot be read: {exc.strerror or exc}"
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return f"{path!r} is not a PEM certificate (no BEGIN CERTIFICATE line)"
    return None


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


@dataclass(frozen=True)
class SavedConfig:
    """What the config file holds: its usable settings, and what is wrong with the rest.

    A bad entry stops only a command that uses it, so ``wholesale config`` can still show
    and fix it, and a flag or variable that overrides it simply wins."""

    path: Path
    values: dict[str, str] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)  # setting -> why it is unusable
    unknown: tuple[str, ...] = ()
    unreadable: str | None = None  # why the file as a whole cannot be read
    entries: dict[str, object] = field(default_factory=dict)  # everything parsed, as it is

    def problem(self, key: str) -> str | None:
        """Why the saved ``key`` cannot be used, with how to fix it; None if it can."""
        if self.unreadable:
            return f"cannot read config file {self.path}: {self.unreadable}; fix or remove it"
        if key in self.invalid:
            return (
                f"{key} in {self.path} {self.invalid[key]}: run `wholesale config set {key} "
                f"VALUE` or `wholesale config unset {key}`"
            )
        return None

    def warnings(self) -> list[str]:
        """One line for each entry that is not a setting, which the CLI ignores."""
        return [
            f"warning: ignoring unknown setting {key!r} in {self.path} (the settings are "
            f"{', '.join(KEYS)}; `wholesale config unset {key}` removes it)"
            for key in self.unknown
        ]


def load_config(path: Path) -> SavedConfig:
    """The saved settings, sorted into usable and not; a missing file is simply empty."""
    try:
        entries = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return SavedConfig(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return SavedConfig(path, unreadable=str(exc))
    values, invalid = {}, {}
    for key, value in entries.items():
        problem = value_problem(key, value) if key in DEFAULTS else None
        if problem:
            invalid[key] = problem
        elif isinstance(value, str) and key in DEFAULTS:
            values[key] = value
    unknown = tuple(key for key in entries if key not in DEFAULTS)
    return SavedConfig(path, values, invalid, unknown, entries=entries)


def _writable(path: Path) -> dict[str, object]:
    """The file's entries, to be written back with one changed; refused when the file is
    not TOML, since rewriting it would lose whatever the person meant to keep in it."""
    saved = load_config(path)
    if saved.unreadable:
        raise ConfigError(
            f"cannot read config file {path}: {saved.unreadable}; fix it or remove it"
        )
    return dict(saved.entries)


def save_config(path: Path, values: Mapping[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{key} = {_toml_value(value)}\n" for key, value in sorted(values.items()))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)


def save_setting(path: Path, key: str, value: str) -> None:
    """Saves one checked setting, keeping the others in the file."""
    check_value(key, value)
    if key == "server":
        server_target(value)
    save_config(path, {**_writable(path), key: value})


def remove_setting(path: Path, key: str) -> bool:
    """Removes one entry from the file; False if it was not there (nothing to do). A key
    that is not a setting is refused unless the file holds it (removing it is the fix)."""
    saved = _writable(path)
    if key not in saved:
        check_key(key)
        return False
    del saved[key]
    save_config(path, saved)
    return True


def _toml_value(value: object) -> str:
    """A TOML value: JSON's escapes and literals are TOML's for strings, integers and
    booleans, except that DEL must be escaped too; anything else is kept as a string."""
    if not isinstance(value, str | int):  # bool is an int
        value = str(value)
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


@dataclass(frozen=True)
class Setting:
    value: str | None
    source: str  # "flag", "env", "config" or "default"
    problem: str | None = None  # why the saved value cannot be used, and how to fix it


def resolve(given: Mapping[str, tuple[str | None, str]], saved: SavedConfig) -> dict[str, Setting]:
    """Merges the sources; ``given`` maps each key to (value, "flag"|"env") or (None, "").
    A saved value that cannot be used is kept with its problem, for the command that
    needs it to report; one that a flag or variable overrides does not matter."""
    settings = {}
    for key, default in DEFAULTS.items():
        value, source = given.get(key, (None, ""))
        problem = saved.problem(key)
        if value is not None:
            settings[key] = Setting(value, source)
        elif problem:
            settings[key] = Setting(_raw(saved.entries.get(key)), "config", problem)
        elif key in saved.values:
            settings[key] = Setting(saved.values[key], "config")
        else:
            settings[key] = Setting(default, "default")
    return settings


def _raw(value: object) -> str | None:
    """A bad saved value as ``config show`` prints it."""
    return None if value is None else str(value)


def mask_token(token: str) -> str:
    """Enough of the token to tell two apart, never enough to use it."""
    return f"****{token[-4:]}" if len(token) >= 12 else "****"
