"""Parsers for command-line values; each error names the option and the rule.

Every value is checked here, before any command connects to anything: a bad argument costs
the user one line and exit code 2, never a round trip to Temporal.
"""

from __future__ import annotations

import argparse
import os
import re
import stat
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from rebalancer.domain.errors import InvalidInput

Number = TypeVar("Number", int, float)

# Bounded digit counts: Python's int() of a long digit string costs quadratic time.
DURATION = re.compile(r"^([0-9]{1,9})(s|m|h|d)?$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}

# Schedules the CLI creates are named review-<account id>, or by --id in the same alphabet.
SCHEDULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"

# How much of a refused value an error line quotes: enough to recognise it, and a 100 kB
# argument still gives a short line.
SHOWN_CHARS = 40


def shown(text: str) -> str:
    """``text`` quoted for an error line, cut short if long."""
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return repr(text[:SHOWN_CHARS]) + f"... ({len(text)} characters)"


def _check_id(option: str, text: str, pattern: str, kind: str, longest: int) -> str:
    """``text`` when it matches ``pattern``: 1 to ``longest`` lower-case letters, digits,
    - and _, starting with a letter or digit."""
    if not re.fullmatch(pattern, text):
        raise InvalidInput(
            option,
            f"{shown(text)} is not {kind}: 1-{longest} lower-case letters, digits, - and _,"
            " starting with a letter or digit",
        )
    return text


def check_account_id(option: str, text: str) -> str:
    # Imported here: rebalancer.pipeline.messages loads numpy, which the parser never needs.
    from rebalancer.pipeline.messages import ACCOUNT_ID_PATTERN

    return _check_id(option, text, ACCOUNT_ID_PATTERN, "an account id", 48)


def check_schedule_id(option: str, text: str) -> str:
    return _check_id(option, text, SCHEDULE_ID_PATTERN, "a schedule id", 64)


def parse_duration(option: str, text: str) -> int:
    """'90', '90s', '5m', '1h', '1d' -> seconds."""
    match = DURATION.match(text.strip())
    if not match:
        raise InvalidInput(option, f"{shown(text)} is not a duration like 60s, 5m or 1h")
    seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds <= 0:
        raise InvalidInput(option, "must be positive")
    return seconds


def parse_target_weights(option: str, text: str) -> tuple[str | None, dict[str, str]]:
    """'BTC/USDT=0.4,ETH=0.35,USDT=0.25' -> ('USDT', {'BTC': '0.4', ...}).

    The quote is None when no BASE/QUOTE symbol names it. Weights stay strings: the account
    model parses them exactly and checks the sum.
    """
    weights: dict[str, str] = {}
    quotes: set[str] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = part.partition("=")
        if not sep or not name or not weight:
            raise InvalidInput(option, f"{shown(part)} is not ASSET=WEIGHT or BASE/QUOTE=WEIGHT")
        try:
            Decimal(weight)
        except InvalidOperation:
            raise InvalidInput(
                option, f"weight {shown(weight)} of {shown(name)} is not a number"
            ) from None
        base, slash, quote = name.partition("/")
        if slash and not (base and quote):
            raise InvalidInput(option, f"{shown(part)} is not ASSET=WEIGHT or BASE/QUOTE=WEIGHT")
        if slash:
            quotes.add(quote)
        if base in weights:
            raise InvalidInput(option, f"{shown(base)} appears twice")
        weights[base] = weight
    if not weights:
        raise InvalidInput(option, "no targets given")
    if len(quotes) > 1:
        listed = ", ".join(shown(quote) for quote in sorted(quotes)[:3])
        raise InvalidInput(option, f"symbols quote in more than one currency: {listed}")
    return (quotes.pop() if quotes else None), weights


def parse_targets(option: str, text: str) -> tuple[str, dict[str, str]]:
    """'BTC/USDT=0.4,ETH/USDT=0.35,USDT=0.25' -> ('USDT', {'BTC': '0.4', ...}).

    Weights stay strings: the account model parses them exactly and checks the sum.
    """
    quote, weights = parse_target_weights(option, text)
    return quote or "USDT", weights


# Cron: the 5-field calendar subset of what Temporal's schedule parser accepts (its
# service/worker/scheduler/calendar.go), plus its @-names. Temporal reads names as prefixes:
# at least three letters of a month, two of a weekday.
CRON_MAX_CHARS = 200
CRON_NAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# name, lowest, highest, names (first one numbered lowest), letters a name needs
_CRON_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], int], ...] = (
    ("minute", 0, 59, (), 0),
    ("hour", 0, 23, (), 0),
    ("day-of-month", 1, 31, (), 0),
    ("month", 1, 12, _MONTHS, 3),
    ("day-of-week", 0, 7, _WEEKDAYS, 2),
)
_CRON_NUMBER = re.compile(r"^[0-9]{1,9}$")


def _cron_value(text: str, lowest: int, highest: int, names: tuple[str, ...], letters: int) -> int:
    if names and len(text) >= letters:
        for index, name in enumerate(names):
            if name.startswith(text.lower()):
                return lowest + index
    if not _CRON_NUMBER.match(text):
        raise ValueError(f"{shown(text)} is not a number" + (" or a name" if names else ""))
    value = int(text)
    if not lowest <= value <= highest:
        raise ValueError(f"{value} is outside {lowest}-{highest}")
    return value


def _cron_field(text: str, lowest: int, highest: int, names: tuple[str, ...], letters: int) -> None:
    for part in text.split(","):
        span, slash, step = part.partition("/")
        if slash and (not _CRON_NUMBER.match(step) or int(step) < 1):
            raise ValueError(f"step {shown(step)} is not a whole number of at least 1")
        if span == "*":
            continue
        first, dash, last = span.partition("-")
        start = _cron_value(first, lowest, highest, names, letters)
        if dash and _cron_value(last, lowest, highest, names, letters) < start:
            raise ValueError(f"range {shown(span)} ends before it starts")


def parse_cron(option: str, text: str) -> str:
    """A cron expression Temporal will accept, checked before anything connects to it."""
    if len(text) > CRON_MAX_CHARS:
        raise InvalidInput(option, f"longer than {CRON_MAX_CHARS} characters")
    expression = CRON_NAMES.get(text, text)
    fields = expression.split()
    if len(fields) != len(_CRON_FIELDS):
        raise InvalidInput(
            option,
            f"{shown(text)} is not a cron expression: 5 fields (minute hour day-of-month"
            " month day-of-week, UTC) or @hourly, @daily, @weekly, @monthly, @yearly",
        )
    for field, (name, lowest, highest, names, letters) in zip(fields, _CRON_FIELDS, strict=True):
        try:
            _cron_field(field, lowest, highest, names, letters)
        except ValueError as error:
            raise InvalidInput(option, f"{name} field {shown(field)}: {error}") from None
    return text


def read_text_file(option: str, path: Path, limit: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    Anything else is refused before it is read: a device such as /dev/zero never ends, and
    a FIFO waits for a writer that may never come.
    """
    # Non-blocking, so opening a FIFO returns at once and fstat can refuse it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    name = shown(str(path))
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise InvalidInput(option, f"cannot read {name}: {error.strerror}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise InvalidInput(option, f"{name} is not a regular file")
        if status.st_size > limit:
            raise InvalidInput(option, f"{name} is larger than {limit // (1024 * 1024)} MiB")
        data = _read_at_most(descriptor, limit + 1)
    except OSError as error:
        raise InvalidInput(option, f"cannot read {name}: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise InvalidInput(option, f"{name} is larger than {limit // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(option, f"{name} is not UTF-8 text") from None


def _read_at_most(descriptor: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = os.read(descriptor, min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def argument_type(
    parse: Callable[[str], Number], noun: str, valid: Callable[[Number], bool], rule: str
) -> Callable[[str], Number]:
    """An argparse type: ``parse`` the text (else it "is not ``noun``"), then check it is
    ``valid`` (else "``value`` ``rule``")."""

    def argument(text: str) -> Number:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown(text)} is not {noun}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"{shown(text)} {rule}")
        return value

    return argument


# A market day per wall second. The paper venue's clock is the wall clock times the speed:
# at 1e10 its first request, 8 s in (2,500 market years), never returned, and the process
# ignored SIGTERM (within half a minute more it would have passed year 9999).
MAX_SPEED = 86_400.0


market_speed = argument_type(
    float,
    "a number",
    lambda v: 0 < v <= MAX_SPEED,
    f"must be more than 0 and at most {MAX_SPEED:g} (a market day a second)",
)
