"""Exact decimal arithmetic for weights, quantities and prices.

Every division in the domain runs under ``CONTEXT``: 34 significant digits (IEEE 754
decimal128) and banker's rounding. 34 digits carry a 1e-18 quantity step on a 1e12 notional
with room to spare, so no weight or amount is ever rounded by the context itself; rounding
to an instrument's tick or step is always explicit (``floor_to_step``, ``round_to_tick``).

Floats are refused at the edge: a float has already lost the value the user typed.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from functools import wraps
from typing import Annotated, Any, ParamSpec, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer

PRECISION = 34
CONTEXT = decimal.Context(
    prec=PRECISION,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

ZERO = Decimal(0)
ONE = Decimal(1)
BPS = Decimal(10_000)


def _refuse_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("must be a decimal string or integer, not a float (floats are inexact)")
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


# Decimals serialise as strings so they survive JSON, Temporal payloads and logs exactly.
Dec = Annotated[
    Decimal,
    BeforeValidator(_refuse_float),
    AfterValidator(_finite),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
]
NonNegDec = Annotated[Dec, Field(ge=0)]
PosDec = Annotated[Dec, Field(gt=0)]
Fraction = Annotated[Dec, Field(ge=0, le=1)]


P = ParamSpec("P")
R = TypeVar("R")


def exact(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` under the domain context, whatever context the caller's thread has.

    Python's decimal operators use the ambient context (28 digits by default); every public
    domain function that does arithmetic is wrapped so that none of it depends on the caller.
    """

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with decimal.localcontext(CONTEXT):
            return func(*args, **kwargs)

    return wrapper


def div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide under the domain context (34 digits), never the thread's ambient one."""
    return CONTEXT.divide(numerator, denominator)


def sqrt(value: Decimal) -> Decimal:
    return CONTEXT.sqrt(value)


def floor_to_step(amount: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` not above ``amount``: truncated, never rounded up."""
    if step <= 0:
        return amount
    if amount < 0:
        raise ValueError("amount must not be negative")
    return CONTEXT.multiply(CONTEXT.divide_int(amount, step), step)


def round_to_tick(price: Decimal, tick: Decimal, *, side: str) -> Decimal:
    """Round a limit price to the tick toward the passive side.

    A buy rounds down and a sell rounds up: rounding never makes our order more aggressive
    than the price the policy chose.
    """
    if tick <= 0:
        return price
    units = CONTEXT.divide(price, tick)
    rounding = ROUND_FLOOR if side == "buy" else ROUND_CEILING
    return units.quantize(ONE, rounding=rounding, context=CONTEXT) * tick


def to_bps(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return ZERO
    return div(part * BPS, whole)


def plain(value: Decimal) -> str:
    """Fixed-point text with no exponent, for reports and the wire."""
    return format(value, "f")
