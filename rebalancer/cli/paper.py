"""``rebalancer paper``: paper accounts on the running paper venue, ready for a worker.

`paper account add ID --fund USDT=100000,BTC=1` creates and funds the account on the venue
(through its admin API) and stores fresh API keys in the credentials file the worker
resolves accounts from; `account add ID --venue paper ...` can then trade it. The keys are
generated here and never printed.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from rebalancer.cli import run_async
from rebalancer.cli.arguments import check_account_id
from rebalancer.cli.listing import Row, add_list_command, print_listing
from rebalancer.domain.errors import InvalidInput, RebalancerError
from rebalancer.domain.numbers import plain
from rebalancer.domain.snapshot import ASSET_PATTERN
from rebalancer.runtime.secret_files import write_secret_file
from rebalancer.venue.profiles import PAPER

# A funding amount: plain decimal notation, bounded, like any quantity we accept.
MAX_FUND = Decimal("1e15")


HELP = "paper accounts on the running paper venue"


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="paper_command", required=True)
    account = commands.add_parser("account", help="create and list paper accounts")
    actions = account.add_subparsers(dest="paper_account_command", required=True)

    add = actions.add_parser("add", help="create and fund a paper account, keys stored for workers")
    add.add_argument("account_id")
    add.add_argument("--fund", required=True, help="starting balances, e.g. USDT=100000,BTC=1")
    add.set_defaults(handler=lambda a: run_async(_add(a)))

    add_list_command(actions, "paper accounts with stored keys, and balances", _list)


def parse_fund(text: str) -> dict[str, Decimal]:
    """``ASSET=QTY,...``: each asset once, each quantity a plain decimal in [0, 1e15]."""
    balances: dict[str, Decimal] = {}
    for part in text.split(","):
        asset, sep, amount = part.strip().partition("=")
        asset = asset.strip()
        if not sep or not asset:
            raise InvalidInput("--fund", f"{part.strip()[:40]!r} is not ASSET=QUANTITY")
        if not _is_asset(asset):
            raise InvalidInput(
                "--fund", f"asset {asset[:40]!r} must be 1-20 upper-case letters or digits"
            )
        if asset in balances:
            raise InvalidInput("--fund", f"{asset} is given twice")
        balances[asset] = _quantity(asset, amount.strip())
    return balances


def _is_asset(asset: str) -> bool:
    return re.fullmatch(ASSET_PATTERN, asset) is not None


def _quantity(asset: str, text: str) -> Decimal:
    # Plain digits only: no exponent, so no huge or tiny number reaches the venue.
    if not text or len(text) > 40 or not all(c.isdigit() or c == "." for c in text):
        raise InvalidInput(f"--fund.{asset}", f"{text[:40]!r} is not a plain decimal quantity")
    if text.count(".") > 1:
        raise InvalidInput(f"--fund.{asset}", f"{text[:40]!r} is not a plain decimal quantity")
    value = Decimal(text)
    if value > MAX_FUND:
        raise InvalidInput(f"--fund.{asset}", f"must be at most {plain(MAX_FUND)}")
    return value


def _read_credentials(path: Path) -> dict[str, Any]:
    from rebalancer.venue.credentials import read_credentials_file

    if not path.exists():
        return {"accounts": {}}
    data, _ = read_credentials_file(path)
    return data


async def _add(args: argparse.Namespace) -> int:
    account_id = check_account_id("account_id", args.account_id)
    balances = parse_fund(args.fund)

    from rebalancer.paper.admin_client import PaperAdmin
    from rebalancer.runtime.config import load_settings
    from rebalancer.venue.credentials import Credentials, credentials_path

    settings = load_settings()
    path = credentials_path()
    stored = _read_credentials(path)
    if account_id in stored["accounts"]:
        raise InvalidInput("account_id", f"{account_id} already has keys in {path}")
    credentials = Credentials(
        venue=PAPER,
        api_key=SecretStr(secrets.token_hex(32)),
        api_secret=SecretStr(secrets.token_hex(32)),
    )
    async with PaperAdmin(settings.paper_venue_url) as admin:
        await admin.add_account(
            account_id,
            credentials.api_key.get_secret_value(),
            credentials.api_secret,
            balances,
        )
    stored["accounts"][account_id] = {
        "venue": PAPER,
        "api_key": credentials.api_key.get_secret_value(),
        "api_secret": credentials.api_secret.get_secret_value(),
    }
    write_secret_file(path, json.dumps(stored))
    funded = ", ".join(f"{asset}={plain(amount)}" for asset, amount in sorted(balances.items()))
    print(f"paper account {account_id} funded with {funded}; keys stored in {path}")
    return 0


async def _list(args: argparse.Namespace) -> int:
    from rebalancer.paper.admin_client import PaperAdmin
    from rebalancer.runtime.config import load_settings
    from rebalancer.venue.credentials import credentials_path

    settings = load_settings()
    stored = _read_credentials(credentials_path())
    ids = sorted(a for a, c in stored["accounts"].items() if c.get("venue", PAPER) == PAPER)
    rows: list[Row] = []
    async with PaperAdmin(settings.paper_venue_url) as admin:
        for account_id in ids:
            try:
                balances = await admin.balances(account_id)
            except RebalancerError as error:
                rows.append({"account_id": account_id, "balances": None, "error": str(error)})
                continue
            rows.append(
                {
                    "account_id": account_id,
                    "balances": {a: str(b.free + b.locked) for a, b in sorted(balances.items())},
                    "error": None,
                }
            )
    return print_listing(
        args,
        "accounts",
        rows,
        f"Paper accounts on {settings.paper_venue_url}",
        ("account", "balances"),
        lambda row: (
            row["account_id"],
            row["error"] or ", ".join(f"{a}={q}" for a, q in row["balances"].items()),
        ),
    )
