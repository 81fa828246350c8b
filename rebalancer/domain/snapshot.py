"""The account snapshot: everything the policy needs to decide, validated at the edge.

A snapshot is what ``rebalancer plan`` reads from a file and what the workflow assembles
from the venue each cycle. Validation refuses bad input with the field and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Frozen, MarketRules, OrderBook, Quote, symbol_for
from rebalancer.domain.numbers import (
    ONE,
    ZERO,
    BoundedNonNegDec,
    BoundedPosDec,
    Correlation,
    Dec,
    Fraction,
    exact_sum,
    plain,
)
from rebalancer.domain.policy_settings import PolicySettings

ASSET_PATTERN = r"^[A-Z0-9]{1,20}$"

# A drift sample is weight - target, both in [0, 1].
DriftSample = Annotated[Dec, Field(ge=-1, le=1)]


def named_assets(targets: dict[str, Decimal]) -> dict[str, Decimal]:
    """Targets whose every asset is spelt as a venue spells it; a validator's check."""
    for asset in targets:
        if not re.match(ASSET_PATTERN, asset):
            raise ValueError(f"asset {asset!r} must be 1-20 upper-case letters or digits")
    return targets


# One type for every model that carries targets, so each checks asset names alike.
Targets = Annotated[dict[str, Fraction], AfterValidator(named_assets)]


class Position(Frozen):
    asset: str = Field(pattern=ASSET_PATTERN)
    quantity: BoundedNonNegDec
    # Free balance; what open orders lock is quantity - free. Defaults to all of it.
    free: BoundedNonNegDec | None = None

    @model_validator(mode="after")
    def _free_within_quantity(self) -> Position:
        if self.free is not None and self.free > self.quantity:
            raise ValueError("free must not exceed quantity")
        return self

    @property
    def free_quantity(self) -> Decimal:
        return self.quantity if self.free is None else self.free


def validate_targets(targets: dict[str, Decimal], quote: str) -> dict[str, Decimal]:
    """Targets are weights per asset, quote currency (cash) included, summing to exactly 1.

    Raises ``InvalidInput`` (a ``ValueError``) naming ``targets``.
    """
    if quote not in targets:
        raise InvalidInput(
            "targets", f"must include the quote currency {quote} (cash), even at weight 0"
        )
    # Exactly: a sum rounded to any fixed precision could call 1 + 1e-40 "1".
    total = exact_sum(targets.values())
    if total != ONE:
        raise InvalidInput("targets", f"weights must sum to exactly 1, got {plain(total)}")
    return targets


def known_pairs(
    correlation: Mapping[str, Mapping[str, Decimal]], known: Collection[str]
) -> dict[str, dict[str, Decimal]]:
    """The pairs of ``correlation`` whose assets are both ``known``."""
    return {
        first: {second: value for second, value in row.items() if second in known}
        for first, row in correlation.items()
        if first in known
    }


class Snapshot(Frozen):
    quote: str = Field(pattern=ASSET_PATTERN)
    positions: tuple[Position, ...]
    prices: dict[str, Quote]
    targets: Targets
    books: dict[str, OrderBook] = Field(default_factory=dict)
    markets: dict[str, MarketRules] = Field(default_factory=dict)
    # Previous drift samples per asset, oldest first; the caller keeps them between checks.
    history: dict[str, tuple[DriftSample, ...]] = Field(default_factory=dict)
    # Annualised volatility estimates per asset; the policy default fills the gaps.
    volatility: dict[str, BoundedPosDec] = Field(default_factory=dict)
    # Correlation estimates of two assets' returns, each pair once (``{"BTC": {"ETH": "0.8"}}``);
    # the policy default fills the gaps. Only the ``covariance`` band rule reads them.
    correlation: dict[str, dict[str, Correlation]] = Field(default_factory=dict)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    # Assets whose target is an operator's instruction not yet carried out: they trade to
    # target past the band and the cost gate. An asset held without a target is always one.
    instructed: frozenset[str] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _markets_named_by_key(cls, data: Any) -> Any:
        # In a file, a market's symbol, base and quote are its key; spell them out once.
        if isinstance(data, dict) and isinstance(data.get("markets"), dict):
            markets = {}
            for symbol, rules in data["markets"].items():
                if isinstance(rules, dict) and isinstance(symbol, str) and "/" in symbol:
                    base, _, quote = symbol.partition("/")
                    rules = {"symbol": symbol, "base": base, "quote": quote, **rules}
                markets[symbol] = rules
            data = {**data, "markets": markets}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Snapshot:
        validate_targets(dict(self.targets), self.quote)
        seen: set[str] = set()
        for i, position in enumerate(self.positions):
            if position.asset in seen:
                raise InvalidInput(
                    f"positions.{i}.asset", f"duplicate asset {position.asset} (one position each)"
                )
            seen.add(position.asset)
        # Every asset held is counted: one without a target is valued, and sold toward 0.
        for asset in self.asset_order():
            if asset == self.quote:
                continue
            symbol = symbol_for(asset, self.quote)
            why = "" if asset in self.targets else f" (held: {asset} is valued and sold)"
            if symbol not in self.prices:
                raise InvalidInput(f"prices.{symbol}", f"symbol {symbol} has no price{why}")
            if symbol not in self.markets:
                raise InvalidInput(f"markets.{symbol}", f"symbol {symbol} has no market rules{why}")
        known = set(self.asset_order())
        for asset in self.history:
            if asset not in known:
                raise InvalidInput(f"history.{asset}", "unknown asset (neither target nor held)")
        for asset in self.volatility:
            if asset not in known:
                raise InvalidInput(f"volatility.{asset}", "unknown asset (neither target nor held)")
        pairs: set[frozenset[str]] = set()
        for first, row in self.correlation.items():
            for second in row:
                field = f"correlation.{first}.{second}"
                for asset in (first, second):
                    if asset not in known:
                        raise InvalidInput(
                            field, f"unknown asset {asset} (neither target nor held)"
                        )
                    if asset == self.quote:
                        raise InvalidInput(
                            field, f"{asset} is the quote currency, which has no returns"
                        )
                if first == second:
                    raise InvalidInput(field, "an asset with itself is 1, not an input")
                pair = frozenset((first, second))
                if pair in pairs:
                    raise InvalidInput(field, "each pair once (given in both orders)")
                pairs.add(pair)
        for asset in self.instructed:
            if asset not in known or asset == self.quote:
                raise InvalidInput(
                    f"instructed.{asset}", "must be a target or held asset, not the quote"
                )
        for symbol, rules in self.markets.items():
            if symbol != rules.symbol:
                raise InvalidInput(f"markets.{symbol}", f"key must equal its symbol {rules.symbol}")
        return self

    def quantity(self, asset: str) -> Decimal:
        for position in self.positions:
            if position.asset == asset:
                return position.quantity
        return ZERO

    def free(self, asset: str) -> Decimal:
        for position in self.positions:
            if position.asset == asset:
                return position.free_quantity
        return ZERO

    def symbol(self, asset: str) -> str:
        return symbol_for(asset, self.quote)

    def mid(self, asset: str) -> Decimal:
        if asset == self.quote:
            return ONE
        return self.prices[self.symbol(asset)].mid

    def rules(self, asset: str) -> MarketRules:
        return self.markets[self.symbol(asset)]

    def book(self, asset: str) -> OrderBook | None:
        return self.books.get(self.symbol(asset))

    def volatility_of(self, asset: str) -> Decimal:
        return self.volatility.get(asset, self.policy.default_volatility)

    def correlation_of(self, first: str, second: str) -> Decimal:
        """Correlation of two assets' returns: the estimate, in either order, or the policy's
        default; 1 for an asset with itself."""
        if first == second:
            return ONE
        known = self.correlation.get(first, {}).get(second)
        if known is None:
            known = self.correlation.get(second, {}).get(first)
        return self.policy.default_correlation if known is None else known

    def target(self, asset: str) -> Decimal:
        """The target weight; 0 for an asset held without one."""
        return self.targets.get(asset, ZERO)

    def untargeted(self) -> list[str]:
        """Assets held (quantity above 0) that have no target."""
        return sorted(
            p.asset for p in self.positions if p.asset not in self.targets and p.quantity > 0
        )

    def instructions(self) -> frozenset[str]:
        """Assets to trade to target past the band and the cost gate."""
        return self.instructed | frozenset(self.untargeted())

    def asset_order(self) -> list[str]:
        """Targets' and held assets in a stable order: non-cash sorted, quote currency last."""
        assets = {a for a in self.targets if a != self.quote} | set(self.untargeted())
        return [*sorted(assets - {self.quote}), self.quote]
