"""``wholesale tiers``: the tier policy, reviews on demand, pins by hand and the history of
tier changes with the spend and threshold behind each.

The policy is replaced as a whole, so ``set-policy`` takes all of it; only the default tier
may be left out, and then the current one is kept, with the current policy's etag sent so
that a policy someone replaced meanwhile is not overwritten unseen.
"""

from __future__ import annotations

from decimal import Decimal

import click

from wholesale.client.cli_common import (
    LIMIT_OPTIONS,
    Session,
    first_results,
    parse_decimal,
    pass_session,
    upper_option,
)
from wholesale.client.cli_keys import find_account
from wholesale.client.cli_output import print_fields, print_message, print_messages, print_rows
from wholesale.client.cli_values import message_values
from wholesale.client.client import Client
from wholesale.client.money import plain_decimal
from wholesale.v1.account_pb2 import Account
from wholesale.v1.tier_service_pb2 import TierChange, TierPolicy

# A change's time, under the key whose column tables title "Time (UTC)", as the audit list's.
TIME = "change_time"
HISTORY_COLUMNS = (TIME, "from_tier", "to_tier", "kind", "trailing_spend", "threshold", "reason")
CHANGE_COLUMNS = (TIME, "account_id", *HISTORY_COLUMNS[1:])
THRESHOLD_COLUMNS = ("tier", "min_spend")


@click.group()
def tiers() -> None:
    """Price tiers by policy: thresholds of trailing 12-month spend, reviews and pins."""


def _threshold(text: str) -> tuple[str, Decimal]:
    """``silver=25000`` as a pair; the amount in plain decimals, as people write it (a
    ``1e4`` typed for a threshold is more likely a slip than meant)."""
    tier, equals, amount = text.partition("=")
    if not equals or not tier.strip() or plain_decimal(amount) is None:
        raise click.BadParameter(f"{text!r} is not TIER=AMOUNT such as silver=25000")
    return tier.strip(), parse_decimal(amount)


def _thresholds(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, Decimal]]:
    return [_threshold(text) for text in values]


def _percent(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if plain_decimal(value) is None:
        raise click.BadParameter(f"{value!r} is not a percentage such as 10 or 7.5")
    return value


def _print_policy(policy: TierPolicy, fmt: str, title: str) -> None:
    """JSON and CSV have the whole message; a table the fields, then the thresholds."""
    if fmt != "table":
        print_message(policy, fmt, title)
        return
    values = message_values(policy)
    del values["thresholds"]
    values["hysteresis_percent"] = f"{policy.hysteresis_percent.value or '0'}%"
    print_fields(values, title)
    rows = [message_values(threshold) for threshold in policy.thresholds]
    if rows:
        print_rows(rows, "table", THRESHOLD_COLUMNS, f"Thresholds ({len(rows)})")
    else:
        click.echo("No thresholds: reviews change no tier.")


@tiers.command("policy")
@pass_session
def show_policy(session: Session) -> None:
    """Show the tier policy: currency, default tier, hysteresis and the thresholds."""
    with session.connect() as client:
        policy = client.get_tier_policy()
    _print_policy(policy, session.output, f"Tier policy v{policy.version}")


@tiers.command("set-policy")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    required=True,
    metavar="TIER=AMOUNT",
    callback=_thresholds,
    help="Spend from which an account is in TIER; repeat, lowest first.",
)
@click.option(
    "--hysteresis",
    required=True,
    metavar="PCT",
    callback=_percent,
    help="Demote only this far below a threshold, in percent of it (0 to 50).",
)
@click.option("--currency", "currency_code", required=True, callback=upper_option, help="ISO 4217.")
@click.option("--default-tier", help="Tier below every threshold; default: the current one.")
@pass_session
def set_policy(
    session: Session,
    thresholds: list[tuple[str, Decimal]],
    hysteresis: str,
    currency_code: str,
    default_tier: str | None,
) -> None:
    """Replace the tier policy; the next review (nightly, or `tiers review`) applies it."""
    with session.connect() as client:
        default_tier, etag = _default_tier(client, default_tier)
        policy = client.set_tier_policy(
            thresholds,
            currency_code=currency_code,
            default_tier=default_tier,
            hysteresis_percent=hysteresis,
            etag=etag,
        )
    _print_policy(policy, session.output, f"Tier policy v{policy.version} set")


def _default_tier(client: Client, given: str | None) -> tuple[str, str]:
    """The tier given, or the current policy's with its etag (so the replacement is
    conditional on the policy whose default it keeps)."""
    if given is not None:
        return given, ""
    current = client.get_tier_policy()
    if not current.default_tier:
        raise click.UsageError(
            "no tier policy is set yet: give --default-tier (the tier below every threshold, "
            "such as standard)"
        )
    return current.default_tier, current.etag


@tiers.command("review")
@pass_session
def review(session: Session) -> None:
    """Review every account's tier now, as the nightly review does, and count the moves."""
    with session.connect() as client:
        counts = client.review_tiers()
    print_message(counts, session.output, "Tier review")


def _account_name(account: Account) -> str:
    """``account 42 (ERP-000042)``, or its display name without an ERP id."""
    return f"account {account.id} ({account.external_id or account.display_name})"


@tiers.command("history")
@click.argument("account_key", metavar="ACCOUNT")
@LIMIT_OPTIONS
@pass_session
def history(session: Session, account_key: str, limit: int, everything: bool) -> None:
    """The tier changes of ACCOUNT (id or ERP id), newest first, with the spend behind them."""
    with session.connect() as client:
        account = find_account(client, account_key)
        shown = first_results(
            lambda page_size: client.tier_changes(account.id, page_size=page_size),
            limit,
            everything,
        )
        print_messages(
            shown.items,
            TierChange,
            session.output,
            # The count follows in brackets, so the ERP id does not.
            shown.title(
                f"Tier history of account {account.id}, "
                f"{account.external_id or account.display_name}"
            ),
            HISTORY_COLUMNS,
        )
    shown.hint()


@tiers.command("changes")
@LIMIT_OPTIONS
@pass_session
def changes(session: Session, limit: int, everything: bool) -> None:
    """Every account's tier changes that you may see, newest first."""
    with session.connect() as client:
        shown = first_results(
            lambda page_size: client.tier_changes(page_size=page_size), limit, everything
        )
        print_messages(
            shown.items,
            TierChange,
            session.output,
            shown.title("Tier changes"),
            CHANGE_COLUMNS,
        )
    shown.hint()


@tiers.command("pin")
@click.argument("account_key", metavar="ACCOUNT")
@click.argument("tier")
@click.option("--note", default="", help="Why, for the history (such as the agreement).")
@pass_session
def pin(session: Session, account_key: str, tier: str, note: str) -> None:
    """Set ACCOUNT's tier to TIER by hand; reviews leave it alone until `tiers unpin`."""
    with session.connect() as client:
        account = find_account(client, account_key)
        change = client.pin_tier(account.id, tier, note)
    print_message(change, session.output, f"Pinned {_account_name(account)} to {change.to_tier}")


@tiers.command("unpin")
@click.argument("account_key", metavar="ACCOUNT")
@pass_session
def unpin(session: Session, account_key: str) -> None:
    """Hand ACCOUNT's tier back to the policy; it keeps its tier until the next review."""
    with session.connect() as client:
        account = find_account(client, account_key)
        change = client.unpin_tier(account.id)
    print_message(
        change,
        session.output,
        f"Unpinned {_account_name(account)}: {change.to_tier} until the next review",
    )
