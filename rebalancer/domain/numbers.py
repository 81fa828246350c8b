"""Exact decimal arithmetic for weights, quantities and prices.

Every division in the domain runs under ``CONTEXT``: 34 significant digits (IEEE 754
decimal128) and banker's rounding. 34 digits carry a 1e-18 quantity step on a 1e12 notional
with room to spare, so no weight or amount is ever rounded by the context itself; rounding
to an instrument's tick or step is always explicit (``floor_to_step``, ``round_to_tick``).

Floats are refused at the edge: a float has already lost the value the user typed.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
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

# Inputs (quantities, prices, filters, settings) are bounded so that no computation on them
# can leave the context's exponent range or need an absurd precision: 1e30 is far above any
# balance or price, 1e-30 far below any tick, step or price.
INPUT_MAX = Decimal("1e30")
INPUT_MIN_POSITIVE = Decimal("1e-30")


def _at_most_input_max(value: Decimal) -> Decimal:
    if value > INPUT_MAX:
        raise ValueError("must be at most 1e30")
    return value


def _within_positive_range(value: Decimal) -> Decimal:
    if not INPUT_MIN_POSITIVE <= value <= INPUT_MAX:
        raise ValueError("must be between 1e-30 and 1e30")
    return value


BoundedNonNegDec = Annotated[NonNegDec, AfterValidator(_at_most_input_max)]
BoundedPosDec = Annotated[PosDec, AfterValidator(_within_positive_range)]


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


def div_down(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``div`` rounded toward negative infinity: for a bound that must not be overshot."""
    return _FLOOR.divide(numerator, denominator)


_FLOOR = CONTEXT.copy()
_FLOOR.rounding = ROUND_FLOOR


def sqrt(value: Decimal) -> Decimal:
    return CONTEXT.sqrt(value)


def _digits(value: Decimal) -> int:
    return len(value.as_tuple().digits)


def _wide(digits: int) -> decimal.Context:
    """The domain context, widened to ``digits`` so an explicit rounding is never inexact."""
    context = CONTEXT.copy()
    context.prec = max(PRECISION, digits)
    return context


def _grid(value: Decimal, step: Decimal, *, up: bool) -> Decimal:
    # The quotient may need more than 34 digits (a large amount on a fine step); the
    # rounding to the grid is the only rounding allowed here, so the context grows to fit.
    wide = _wide(max(value.adjusted(), 0) - step.adjusted() + 2 + _digits(value) + _digits(step))
    units, remainder = wide.divmod(value, step)
    if up and remainder != 0:
        units = wide.add(units, ONE)
    return _wide(_digits(units) + _digits(step)).multiply(units, step)


def floor_to_step(amount: Decimal, step: Decimal) -> Decimal:
    """Largest multiple of ``step`` not above ``amount``: truncated, never rounded up."""
    if step <= 0:
        return amount
    if amount < 0:
        raise ValueError("amount must not be negative")
    return _grid(amount, step, up=False)


def round_to_tick(price: Decimal, tick: Decimal, *, side: str) -> Decimal:
    """Round a limit price to the tick toward the passive side.

    A buy rounds down and a sell rounds up: rounding never makes our order more aggressive
    than the price the policy chose.
    """
    if tick <= 0:
        return price
    if price < 0:
        raise ValueError("price must not be negative")
    return _grid(price, tick, up=side != "buy")


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum with no rounding at all, however many digits the terms carry.

    For rules that say "exactly", such as targets summing to 1: a 34-digit sum could round
    a total of 1 + 1e-40 to 1.
    """
    terms = list(values)
    if not terms:
        return ZERO
    high = max(max(term.adjusted(), 0) for term in terms)
    low = min(min(int(term.as_tuple().exponent), 0) for term in terms)
    context = _wide(high - low + 2 + len(str(len(terms))))
    total = ZERO
    for term in terms:
        total = context.add(total, term)
    return total


def to_bps(part: Decimal, whole: Decimal) -> Decimal:
    if whole == 0:
        return ZERO
    return div(CONTEXT.multiply(part, BPS), whole)


def to_places(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half-even to ``places`` decimals, for display; never raises for size."""
    return value.quantize(ONE.scaleb(-places), context=_wide(value.adjusted() + places + 2))


def plain(value: Decimal) -> str:
    """Fixed-point text with no exponent, for reports and the wire."""
    return format(value, "f")
