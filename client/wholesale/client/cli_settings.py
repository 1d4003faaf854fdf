"""``wholesale config``: the settings saved in the config file, and which value of each is
in effect and why.

Each command says what it did to the file in words a person can check (``saved server in
FILE``, ``removed token from FILE``), because a setting that silently went missing shows
up only later, as a puzzling "no API token" or "server unreachable".
"""

from __future__ import annotations

import click

from wholesale.client.cli_common import Session, pass_session
from wholesale.client.cli_config import (
    KEYS,
    OUTPUT_FORMATS,
    mask_token,
    remove_setting,
    save_setting,
)
from wholesale.client.cli_output import print_rows

KEY_HELP = f"KEY is one of {', '.join(KEYS)}; output is one of {', '.join(OUTPUT_FORMATS)}."


@click.group()
def config() -> None:
    """The settings saved in the config file.

    The file is $WHOLESALE_CLI_CONFIG if set, else $XDG_CONFIG_HOME/wholesale/config.toml
    (~/.config/wholesale/config.toml without XDG_CONFIG_HOME).
    """


@config.command(
    "set",
    help=f"Save a setting. {KEY_HELP} An empty VALUE removes it, as "
    "`wholesale config unset KEY` does.",
)
@click.argument("key")
@click.argument("value")
@pass_session
def config_set(session: Session, key: str, value: str) -> None:
    if not value:
        _remove(session, key)
        return
    save_setting(session.config_file, key, value)
    click.echo(f"saved {key} in {session.config_file}")
    if session.settings[key].source == "env":
        click.echo(f"note: {session.origin(key)} is set and wins over the config file", err=True)


@config.command("unset", help=f"Remove a setting from the config file. {KEY_HELP}")
@click.argument("key")
@pass_session
def config_unset(session: Session, key: str) -> None:
    _remove(session, key)


def _remove(session: Session, key: str) -> None:
    if remove_setting(session.config_file, key):
        click.echo(f"removed {key} from {session.config_file}")
    else:
        click.echo(f"{key} is not set in {session.config_file}; nothing to remove")


@config.command("show")
@pass_session
def config_show(session: Session) -> None:
    """Show the settings in effect and where each comes from (the token masked); a saved
    value the CLI cannot use is shown as it is, with what is wrong on stderr."""
    rows = [
        {"key": key, "value": _shown(key, setting.value), "source": setting.source}
        for key, setting in session.settings.items()
    ]
    rows += [
        {"key": key, "value": _shown(key, session.saved.entries[key]), "source": "unknown"}
        for key in session.saved.unknown
    ]
    problems = dict.fromkeys(s.problem for s in session.settings.values() if s.problem)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    print_rows(rows, _usable_output(session), ["key", "value", "source"], str(session.config_file))


def _usable_output(session: Session) -> str:
    """The output format, or a table while the saved one is bad (showing it is the point)."""
    output = session.settings["output"]
    return "table" if output.problem else session.output


def _shown(key: str, value: object) -> str | None:
    """The value as shown: None when unset (null in JSON), the token masked."""
    if value is None:
        return None
    text = str(value)
    return mask_token(text) if key == "token" and text else text
