"""Paper accounts as the command line and the accounts file give them.

Accounts file (``--accounts-file``)::

    {"accounts": [{"api_key": "k1", "api_secret": "s1", "account_id": "alice",
                   "balances": {"USDT": "100000", "BTC": "1"}}]}

``account_id`` is optional (the API key names the account then); ``maker_fee`` and
``taker_fee`` are optional decimal strings. Amounts are decimal strings or integers.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import INPUT_MAX, BoundedNonNegDec, Dec
from rebalancer.domain.snapshot_json import describe
from rebalancer.domain.text_files import parse_json, read_text_file

KEY_PATTERN = r"^[A-Za-z0-9_\-]{1,128}$"
ASSET_PATTERN = r"^[A-Z0-9]{1,20}$"
Asset = Annotated[str, Field(pattern=ASSET_PATTERN)]


class AccountSpec(Frozen):
    api_key: str = Field(pattern=KEY_PATTERN)
    # SecretStr keeps the secret out of every repr, log line and error message.
    api_secret: SecretStr = Field(min_length=1)
    account_id: str | None = Field(default=None, pattern=KEY_PATTERN)
    # Bounded: a balance of 1e20 already overflowed the 28-digit arithmetic of the answers.
    balances: dict[Asset, BoundedNonNegDec] = Field(default_factory=dict)
    maker_fee: Dec | None = Field(default=None, ge=0, le=1)
    taker_fee: Dec | None = Field(default=None, ge=0, le=1)

    @property
    def id(self) -> str:
        return self.account_id or self.api_key


class AccountsFile(Frozen):
    accounts: list[AccountSpec]


def parse_balances(text: str, field: str = "--balances") -> dict[str, Decimal]:
    """``USDT=100000,BTC=1`` as {asset: amount}."""
    balances: dict[str, Decimal] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        asset, sep, amount = part.partition("=")
        asset = asset.strip().upper()
        if not sep or not re.fullmatch(ASSET_PATTERN, asset):
            raise InvalidInput(field, f"{part!r} is not ASSET=AMOUNT (e.g. USDT=100000,BTC=1)")
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise InvalidInput(field, f"amount of {asset} must be a decimal number") from None
        if not value.is_finite() or value < 0:
            raise InvalidInput(field, f"amount of {asset} must be a non-negative number")
        if value > INPUT_MAX:
            raise InvalidInput(field, f"amount of {asset} must be at most 1e30")
        balances[asset] = value
    if not balances:
        raise InvalidInput(field, "needs at least one ASSET=AMOUNT")
    return balances


def parse_accounts(text: str, field: str = "--accounts-file") -> list[AccountSpec]:
    data = parse_json(text, field)
    try:
        accounts = AccountsFile.model_validate(data).accounts
    except ValidationError as error:
        problem = describe(error)
        raise InvalidInput(f"{field}: {problem.field}", problem.rule) from None
    keys = [spec.api_key for spec in accounts]
    ids = [spec.id for spec in accounts]
    if len(set(keys)) != len(keys) or len(set(ids)) != len(ids):
        raise InvalidInput(field, "api_key and account_id must be unique")
    return accounts


def load_accounts_file(path: Path) -> list[AccountSpec]:
    return parse_accounts(read_text_file(path, "--accounts-file", "accounts file"))
