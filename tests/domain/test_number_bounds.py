"""Numbers are bounded at their types: a literal such as ``1E-999999999`` (12 characters) is
refused or reduced in microseconds, never expanded into gigabytes of digits.

Every model built on ``Dec``, ``Fraction`` or the bounded types is protected by these
checks, the account workflow's update validators included.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from temporalio.exceptions import ApplicationError

from rebalancer.domain.numbers import (
    DEC_MAX_DIGITS,
    DEC_MAX_EXPONENT,
    INPUT_DIGITS,
    INPUT_PLACES,
    BoundedNonNegDec,
    BoundedPosDec,
    Dec,
    Fraction,
    PosDec,
    exact_sum,
    plain,
)
from rebalancer.pipeline.messages import AccountConfig, PolicyUpdate, TargetsUpdate
from tests.domain.strategies import PROPERTY
from workflows.account import AccountWorkflow

T = TypeVar("T")

FRACTION = TypeAdapter(Fraction)
DEC = TypeAdapter(Dec)
POSITIVE = TypeAdapter(BoundedPosDec)
NON_NEGATIVE = TypeAdapter(BoundedNonNegDec)
UNBOUNDED_POSITIVE = TypeAdapter(PosDec)
ADAPTERS = {
    "Fraction": FRACTION,
    "Dec": DEC,
    "BoundedPosDec": POSITIVE,
    "BoundedNonNegDec": NON_NEGATIVE,
    "PosDec": UNBOUNDED_POSITIVE,
}

# Short texts whose exact value, or its fixed-point text, needs up to a billion digits.
EXTREMES = [
    "1E-999999999",
    "-1E-999999999",
    "1E+999999999",
    "1E-100000000",
    "9.99E-1001",
    "1E+1001",
    "0.5E-999999",
    "1" + "0" * 5000,
    "0." + "1" * 5000,
]
# Zeros whose exponent is all that is extreme: they are zeros, and stay one digit.
EXTREME_ZEROS = ["0E-100000000", "-0E-999999999", "0E+999999999", "0E-1001"]

# Far more than the bounded work takes, far less than expanding any extreme would.
SECONDS = 1.0
PEAK_BYTES = 20 * 1024 * 1024


@contextmanager
def bounded() -> Iterator[None]:
    """The block finishes in ``SECONDS`` with at most ``PEAK_BYTES`` allocated."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < SECONDS, f"took {elapsed:.2f} s"
    assert peak < PEAK_BYTES, f"allocated {peak} bytes"


def _accepted_or_refused(attempt: Callable[[], T], prefix: str) -> T | None:
    """What ``attempt`` returns, within the bounds; None when it is refused, in one short
    line that starts with ``prefix``."""
    with bounded():
        try:
            return attempt()
        except ApplicationError as error:
            message = error.message
    assert message.startswith(prefix)
    assert len(message) < 400
    assert "\n" not in message
    return None


def _first_message(error: ValidationError) -> str:
    return str(error.errors()[0]["msg"])


def _validated(adapter: TypeAdapter[Decimal], text: str) -> Decimal | ValidationError:
    try:
        return adapter.validate_python(text)
    except ValidationError as error:
        return error


@pytest.mark.parametrize("name", list(ADAPTERS))
@pytest.mark.parametrize("text", EXTREMES)
def test_an_extreme_literal_is_refused_at_the_type_quickly(name: str, text: str) -> None:
    with bounded(), pytest.raises(ValidationError) as caught:
        ADAPTERS[name].validate_python(text)
    assert len(_first_message(caught.value)) < 200


@pytest.mark.parametrize("name", list(ADAPTERS))
@pytest.mark.parametrize("text", EXTREME_ZEROS)
def test_a_zero_with_an_extreme_exponent_is_a_plain_zero(name: str, text: str) -> None:
    adapter = ADAPTERS[name]
    with bounded():
        value = _validated(adapter, text)
    if isinstance(value, ValidationError):
        # PosDec and BoundedPosDec refuse a zero for being zero, not for its size.
        assert "greater than 0" in _first_message(value)
        return
    assert value == 0
    assert plain(value) in ("0", "-0")


def test_the_documented_bounds_are_the_limits() -> None:
    fine = "0." + "1" * INPUT_DIGITS
    assert FRACTION.validate_python(fine) == Decimal(fine)
    with pytest.raises(ValidationError, match=f"at most {INPUT_DIGITS} digits"):
        FRACTION.validate_python(fine + "1")
    assert FRACTION.validate_python(f"1E-{INPUT_PLACES}") == Decimal(f"1E-{INPUT_PLACES}")
    with pytest.raises(ValidationError, match=f"{INPUT_PLACES} decimal places"):
        FRACTION.validate_python(f"1E-{INPUT_PLACES + 1}")
    # A computed value may be smaller and longer than any input, within the Dec bounds.
    assert DEC.validate_python(f"1E-{DEC_MAX_EXPONENT}") == Decimal(f"1E-{DEC_MAX_EXPONENT}")
    with pytest.raises(ValidationError, match="exponent"):
        DEC.validate_python(f"1E-{DEC_MAX_EXPONENT + 1}")
    assert DEC.validate_python("1" * DEC_MAX_DIGITS) == Decimal("1" * DEC_MAX_DIGITS)
    with pytest.raises(ValidationError, match=f"at most {DEC_MAX_DIGITS} digits"):
        DEC.validate_python("1" * (DEC_MAX_DIGITS + 1))
    # A value far out of a bounded type's range is told the range it missed, not its size.
    with pytest.raises(ValidationError, match="1e30"):
        NON_NEGATIVE.validate_python("1e999990")
    with pytest.raises(ValidationError, match="between 1e-30 and 1e30"):
        POSITIVE.validate_python("1E-999999999")
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        FRACTION.validate_python("1E+999999999")


hostile_numbers: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(EXTREMES + EXTREME_ZEROS + ["NaN", "-sNaN", "Infinity", "0", "1", "0.5"]),
    st.builds(
        lambda mantissa, exponent: f"{mantissa}E{exponent}",
        st.sampled_from(["0", "1", "-1", "9.99", "0.000", "123456789"]),
        st.integers(-(10**12), 10**12),
    ),
    st.builds(
        lambda digits, places: (
            f"{digits[:-places] or '0'}.{digits[-places:]}" if places else digits
        ),
        st.text("0123456789", min_size=1, max_size=3000),
        st.integers(0, 200),
    ),
)


@PROPERTY
@given(name=st.sampled_from(list(ADAPTERS)), text=hostile_numbers)
def test_any_literal_is_refused_or_kept_small_quickly(name: str, text: str) -> None:
    with bounded():
        value = _validated(ADAPTERS[name], text)
        if isinstance(value, ValidationError):
            message = _first_message(value)
        else:
            fixed_point = plain(value)
            total = exact_sum([value, Decimal(1)])
    if isinstance(value, ValidationError):
        assert len(message) < 200
        return
    # Any accepted value prints in a few kilobytes and sums exactly with a weight.
    assert len(fixed_point) < 2 * DEC_MAX_EXPONENT + DEC_MAX_DIGITS + 10
    assert total - value == 1


def test_exact_sum_refuses_terms_too_far_apart_instead_of_exhausting_memory() -> None:
    with bounded(), pytest.raises(ValueError, match="too wide"):
        exact_sum([Decimal(1), Decimal("1E-999999999")])
    with bounded(), pytest.raises(ValueError, match="too wide"):
        exact_sum([Decimal("1E+999999999"), Decimal("1E-5")])
    with bounded():
        # A zero adds nothing whatever its exponent.
        assert exact_sum([Decimal("0.5"), Decimal("0E-100000000"), Decimal("0.5")]) == 1


# The account workflow's update validators ------------------------------------------------

CONFIG = AccountConfig.model_validate(
    {
        "account_id": "acct-1",
        "venue": "paper",
        "targets": {"BTC": "0.4", "ETH": "0.35", "USDT": "0.25"},
    }
)


def _workflow() -> AccountWorkflow:
    # The validators read only the current config; no workflow runtime is needed for them.
    workflow = AccountWorkflow.__new__(AccountWorkflow)
    workflow._state = SimpleNamespace(config=CONFIG)  # type: ignore[assignment]
    return workflow


def test_a_targets_update_of_1e_minus_999999999_is_refused_quickly_as_the_workflow_does() -> None:
    update = TargetsUpdate(targets={"BTC": "1E-999999999", "ETH": "0.75", "USDT": "0.25"})
    with bounded(), pytest.raises(ValidationError) as caught:
        # What the workflow's update validator runs (workflows/account.py, _with_targets).
        AccountConfig.model_validate(
            {**CONFIG.model_dump(mode="json"), "targets": dict(update.targets)}
        )
    first = caught.value.errors()[0]
    assert first["loc"] == ("targets", "BTC")
    assert "digits" in first["msg"]


UPDATES: dict[str, tuple[Callable[[AccountWorkflow], None], str]] = {
    "weight 1E-999999999": (
        lambda w: w._validate_targets(
            TargetsUpdate(targets={"BTC": "1E-999999999", "ETH": "0.75", "USDT": "0.25"})
        ),
        "targets.BTC",
    ),
    "weight 1E-100000000": (
        lambda w: w._validate_targets(
            TargetsUpdate(targets={"BTC": "1E-100000000", "ETH": "0.75", "USDT": "0.25"})
        ),
        "targets.BTC",
    ),
    "weight 0E-100000000, sum short": (
        lambda w: w._validate_targets(
            TargetsUpdate(targets={"BTC": "0E-100000000", "ETH": "0.7", "USDT": "0.25"})
        ),
        "targets",
    ),
    "band 1E-999999999": (
        lambda w: w._validate_policy(PolicyUpdate(policy={"band": "1E-999999999"})),
        "band",
    ),
    "half-life 1E-999999999": (
        lambda w: w._validate_policy(
            PolicyUpdate(policy={"volatility_half_life_hours": "1E-999999999"})
        ),
        "volatility_half_life_hours",
    ),
    "risk aversion 1E+999999999": (
        lambda w: w._validate_policy(PolicyUpdate(policy={"risk_aversion": "1E+999999999"})),
        "risk_aversion",
    ),
}


@pytest.mark.parametrize("case", list(UPDATES), ids=list(UPDATES))
def test_the_workflow_update_validators_refuse_extremes_quickly(case: str) -> None:
    call, field = UPDATES[case]
    workflow = _workflow()
    with bounded(), pytest.raises(ApplicationError) as caught:
        call(workflow)
    message = caught.value.message
    assert field in message
    assert len(message) < 300
    assert "\n" not in message


update_weights: st.SearchStrategy[Any] = st.one_of(
    hostile_numbers, st.integers(-(10**50), 10**50), st.none(), st.booleans(), st.text(max_size=20)
)


@PROPERTY
@given(
    weights=st.dictionaries(
        st.sampled_from(["BTC", "ETH", "USDT", "btc", "../", ""]), update_weights, max_size=4
    )
)
def test_any_targets_update_is_accepted_or_refused_in_one_short_line(
    weights: dict[str, Any],
) -> None:
    workflow = _workflow()
    _accepted_or_refused(
        lambda: workflow._validate_targets(TargetsUpdate(targets=weights)), "targets rejected: "
    )


@PROPERTY
@given(
    settings=st.dictionaries(
        st.sampled_from(
            ["band", "risk_aversion", "volatility_half_life_hours", "fee_buffer", "horizon_days"]
        ),
        update_weights,
        max_size=3,
    )
)
def test_any_policy_update_is_accepted_or_refused_in_one_short_line(
    settings: dict[str, Any],
) -> None:
    workflow = _workflow()
    config = _accepted_or_refused(
        lambda: workflow._with_policy(PolicyUpdate(policy=settings)), "policy rejected: "
    )
    if config is not None:
        # What the workflow keeps, and carries into its history, stays small.
        assert len(config.model_dump_json()) < 4000
