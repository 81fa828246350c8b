"""Exact decimal arithmetic for weights, quantities and prices.

Every division in the domain runs under ``CONTEXT``: 34 significant digits (IEEE 754
decimal128) and banker's rounding. 34 digits carry a 1e-18 quantity step on a 1e12 notional
with room to spare, so no weight or amount is ever rounded by the context itself; rounding
to an instrument's tick or step is always explicit (``floor_to_step``, ``round_to_tick``).

Floats are refused at the edge: a float has already lost the value the user typed. Sizes
are refused at the types: every ``Dec`` has at most 400 digits and an exponent within +-1000,
and every typed-in number (``Fraction``, ``BoundedPosDec``, ``BoundedNonNegDec``) at most 40
digits and 80 decimal places, so no literal such as ``1E-999999999`` reaches an exact
operation that would need as many digits as its exponent.
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


# Every Dec, computed or typed in, is bounded in its representation: a Decimal literal may
# carry any exponent (``1E-999999999`` is 12 characters), and an exact operation on it, such as
# a sum or its fixed-point text, would then need as many digits as the exponent is large. The
# bounds are far beyond anything computed from bounded inputs (products of a few numbers in
# 1e-30..1e30 under the 34-digit context, grids of 1e-30 steps) and keep the fixed-point text
# of any Dec within a few kilobytes.
DEC_MAX_DIGITS = 400
DEC_MAX_EXPONENT = 1000

# Typed-in numbers (weights, quantities, prices, settings: every Bounded type and Fraction)
# are bounded tighter: no weight, quantity or price needs more than 40 digits, or a digit
# finer than 1e-80 (40 digits below the smallest 1e-30 price).
INPUT_DIGITS = 40
INPUT_PLACES = 80


def _probe(digits: int) -> decimal.Context:
    """A context that only counts: its ``plus`` raises ``Rounded`` past ``digits`` digits."""
    return decimal.Context(
        prec=digits, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[decimal.Rounded]
    )


_DEC_PROBE = _probe(DEC_MAX_DIGITS)
_INPUT_PROBE = _probe(INPUT_DIGITS)


def _sized(value: Decimal, probe: decimal.Context, lowest: int, highest: int, rule: str) -> Decimal:
    if value.is_zero():
        # A zero's exponent carries no value (an underflowed product can have any): keep
        # the zero, drop the exponent, so its text stays one digit.
        exponent = value.adjusted()
        return value if lowest <= exponent <= highest else ZERO.copy_sign(value)
    # adjusted() is free; counting digits through as_tuple() would first copy a coefficient
    # of any length, so the probe refuses a long one before that.
    if not lowest <= value.adjusted() <= highest:
        raise ValueError(rule)
    try:
        probe.plus(value)
    except decimal.Rounded:
        raise ValueError(rule) from None
    if not lowest <= int(value.as_tuple().exponent) <= highest:
        raise ValueError(rule)
    return value


def _representable(value: Decimal) -> Decimal:
    return _sized(
        value,
        _DEC_PROBE,
        -DEC_MAX_EXPONENT,
        DEC_MAX_EXPONENT,
        f"must have at most {DEC_MAX_DIGITS} digits and an exponent within +-{DEC_MAX_EXPONENT}",
    )


def _input_sized(value: Decimal) -> Decimal:
    return _sized(
        value,
        _INPUT_PROBE,
        -INPUT_PLACES,
        DEC_MAX_EXPONENT,
        f"must have at most {INPUT_DIGITS} digits and {INPUT_PLACES} decimal places",
    )


def _json_text(value: Decimal) -> str:
    return format(value, "f")


# The parsing common to every Dec: floats refused, NaN and infinities too.
_Number = Annotated[
    Decimal,
    BeforeValidator(_refuse_float),
    AfterValidator(_finite),
    # Decimals serialise as strings so they survive JSON, Temporal payloads and logs exactly.
    PlainSerializer(_json_text, return_type=str, when_used="json"),
]

Dec = Annotated[_Number, AfterValidator(_representable)]
NonNegDec = Annotated[Dec, Field(ge=0)]
PosDec = Annotated[Dec, Field(gt=0)]

# Inputs (quantities, prices, filters, settings) are bounded so that no computation on them
# can leave the context's exponent range or need an absurd precision: 1e30 is far above any
# balance or price, 1e-30 far below any tick, step or price. The range is checked before the
# digits, so a value far out of range is told the range it missed.
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


Fraction = Annotated[_Number, Field(ge=0, le=1), AfterValidator(_input_sized)]
BoundedNonNegDec = Annotated[
    _Number, Field(ge=0), AfterValidator(_at_most_input_max), AfterValidator(_input_sized)
]
BoundedPosDec = Annotated[
    _Number, Field(gt=0), AfterValidator(_within_positive_range), AfterValidator(_input_sized)
]
Correlation = Annotated[_Number, Field(ge=-1, le=1), AfterValidator(_input_sized)]


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


# The widest exact sum: Decs span at most 2 x 1000 exponents and 400 digits. Terms further
# apart come from no validated model, and summing them exactly could take gigabytes.
EXACT_SUM_MAX_DIGITS = 2 * DEC_MAX_EXPONENT + DEC_MAX_DIGITS + 100
_SUM_PROBE = _probe(EXACT_SUM_MAX_DIGITS)


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The sum with no rounding at all, however many digits the terms carry.

    For rules that say "exactly", such as targets summing to 1: a 34-digit sum could round
    a total of 1 + 1e-40 to 1. Terms too far apart to sum in ``EXACT_SUM_MAX_DIGITS`` digits
    raise ``ValueError`` rather than exhaust memory.
    """
    # A zero adds no value, whatever its exponent (``0E-100000000`` is a zero).
    terms = [term for term in values if not term.is_zero()]
    if not terms:
        return ZERO
    too_wide = f"terms span more than {EXACT_SUM_MAX_DIGITS} digits: too wide to sum exactly"
    for term in terms:
        if not term.is_finite():
            raise ValueError("cannot sum a non-finite number")
        # Before as_tuple(), which copies a coefficient of any length.
        try:
            _SUM_PROBE.plus(term)
        except decimal.Rounded:
            raise ValueError(too_wide) from None
    high = max(max(term.adjusted(), 0) for term in terms)
    low = min(min(int(term.as_tuple().exponent), 0) for term in terms)
    digits = high - low + 2 + len(str(len(terms)))
    if digits > EXACT_SUM_MAX_DIGITS:
        raise ValueError(too_wide)
    context = _wide(digits)
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
