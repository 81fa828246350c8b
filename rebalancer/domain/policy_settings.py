"""The knobs of the cost-aware policy, with the reasoning behind each default.

docs/cost-model.md explains how they combine.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from rebalancer.domain.market import Frozen
from rebalancer.domain.numbers import (
    BoundedNonNegDec,
    BoundedPosDec,
    Correlation,
    Dec,
    Fraction,
    PosDec,
    div,
)

# The longest an account may go without a check of its own, as a policy or a safety check.
MAX_CHECK_SECONDS = 86_400 * 31

Sizing = Literal["target", "band_edge", "joint"]
BandRule = Literal["fixed", "asymptotic", "covariance"]
ExecutionStyle = Literal["passive", "marketable"]


class PolicySettings(Frozen):
    # Mean-variance risk aversion: how many units of quote currency one unit of tracking
    # variance (per unit of equity) is worth. Higher trades more and tracks tighter.
    # The defaults are the policy docs/value.md evaluates: per-asset bands from the
    # covariance, a joint step, and the risk aversion (of the power-of-two grid) whose RMS
    # weight drift on 2021's real bars matched the first wave's default (one 2.72% band to its
    # edge): 1.62% against 1.63%, for 165 USDT a year against 173. Chosen on 2021 only;
    # 2022-2023 is in the docs.
    risk_aversion: BoundedPosDec = Decimal("4")
    # How long a deviation left alone is expected to persist, in days. Only the product
    # risk_aversion x horizon matters; the horizon keeps risk_aversion readable.
    horizon_days: BoundedPosDec = Decimal("30")
    # Annualised volatility used for an asset with no estimate yet (crypto-like).
    default_volatility: BoundedPosDec = Decimal("0.8")
    # No-trade band around the target weight; inside it nothing trades.
    band: Fraction = Decimal("0.0272")
    # Correlation assumed between two assets' returns with no estimate yet. Only the
    # ``covariance`` band rule reads it, and only until the account's own estimate takes over
    # (the correlation half-life). Neither independent nor one asset: a neutral prior.
    default_correlation: Correlation = Decimal("0.5")
    # One band for every asset, or each asset's own from its volatility, cost and weight
    # (``asymptotic``: as if it were the only asset against cash; ``covariance``: from how
    # its weight really moves beside the others, correlation counted). domain/bands.py;
    # ``band`` then serves only cash and an asset without a usable weight.
    band_rule: BandRule = "covariance"
    # Trade all the way to target, only back to the edge of the band, or every leg together
    # with cash counted (domain/joint_step.py: a cost-penalised step, band-edge per leg).
    sizing: Sizing = "joint"
    # Weight of drift velocity in urgency: 1 projects the drift one check ahead.
    velocity_weight: BoundedNonNegDec = Decimal("1")
    # Drift samples per asset used for velocity (the seed used 3).
    velocity_window: int = Field(default=3, ge=2, le=100)
    # Liquidity: consider the top N book levels, and refuse to take more than this
    # fraction of their depth in one order (the seed's rule: 1% of top-10 depth).
    depth_levels: int = Field(default=10, ge=1, le=1000)
    max_depth_fraction: Fraction = Decimal("0.01")
    # Worst acceptable volume-weighted price against mid, in bps, for one order.
    slippage_budget_bps: BoundedNonNegDec = Field(default=Decimal("50"), le=10_000)
    # Slice an order to what the book absorbs, or queue the whole leg until depth recovers.
    allow_slicing: bool = True
    # Smallest trade worth doing, in quote currency (the seed used 10).
    min_trade_notional: BoundedNonNegDec = Decimal("10")
    # Passive orders rest at the touch and earn the spread; marketable ones cross it, capped
    # at the price the depth walk needs.
    execution_style: ExecutionStyle = "marketable"
    # Keep this fraction of quote currency unspent as a fee buffer when buying.
    fee_buffer: Fraction = Decimal("0.002")
    # Check cadence, seconds; velocity is per check.
    check_interval_seconds: int = Field(default=60, ge=1, le=MAX_CHECK_SECONDS)
    # Cost gate switch, so baselines (seed, threshold) can run through the same engine.
    cost_gate: bool = True
    # Execution pacing (used by the workflow and the backtest alike).
    # How long a placed order may rest before it is re-priced or cancelled, seconds.
    fill_timeout_seconds: int = Field(default=20, ge=1, le=3600)
    # A queued leg is re-assessed after base * 2^(attempts-1) seconds, capped.
    requeue_base_seconds: int = Field(default=30, ge=1, le=86_400)
    requeue_max_seconds: int = Field(default=900, ge=1, le=86_400)
    # Orders per leg per cycle (slices and re-prices), so one cycle cannot chase a book.
    max_orders_per_leg: int = Field(default=4, ge=1, le=100)
    # Half-life of the volatility estimate, hours.
    volatility_half_life_hours: PosDec = Decimal("24")
    # Half-life of the correlation estimate, hours: correlations between assets drift more
    # slowly than volatility, and an hourly estimate over a day is mostly noise.
    correlation_half_life_hours: PosDec = Decimal("720")

    @model_validator(mode="after")
    def _band_edge_needs_a_band(self) -> PolicySettings:
        if self.sizing in ("band_edge", "joint") and self.band == 0:
            raise ValueError(f"sizing {self.sizing!r} needs band > 0")
        return self

    @property
    def horizon_years(self) -> Dec:
        return div(self.horizon_days, Decimal(365))
