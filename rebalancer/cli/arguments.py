"""Parsers for command-line values; each error names the option and the rule."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from rebalancer.domain.errors import InvalidInput

DURATION = re.compile(r"^(\d+)(s|m|h|d)?$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(option: str, text: str) -> int:
    """'90', '90s', '5m', '1h', '1d' -> seconds."""
    match = DURATION.match(text.strip())
    if not match:
        raise InvalidInput(option, f"{text!r} is not a duration like 60s, 5m or 1h")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds <= 0:
        raise InvalidInput(option, "must be positive")
    return seconds


def parse_targets(option: str, text: str) -> tuple[str, dict[str, str]]:
    """'BTC/USDT=0.4,ETH/USDT=0.35,USDT=0.25' -> ('USDT', {'BTC': '0.4', ...}).

    Weights stay strings: the account model parses them exactly and checks the sum.
    """
    weights: dict[str, str] = {}
    quotes: set[str] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = part.partition("=")
        if not sep or not name or not weight:
            raise InvalidInput(option, f"{part!r} is not ASSET=WEIGHT or BASE/QUOTE=WEIGHT")
        try:
            Decimal(weight)
        except InvalidOperation:
            raise InvalidInput(option, f"weight {weight!r} of {name} is not a number") from None
        base, slash, quote = name.partition("/")
        if slash:
            quotes.add(quote)
        if base in weights:
            raise InvalidInput(option, f"{base} appears twice")
        weights[base] = weight
    if not weights:
        raise InvalidInput(option, "no targets given")
    if len(quotes) > 1:
        raise InvalidInput(option, f"symbols quote in more than one currency: {sorted(quotes)}")
    quote = quotes.pop() if quotes else "USDT"
    return quote, weights
