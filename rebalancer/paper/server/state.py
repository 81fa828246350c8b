"""What the HTTP server holds: the in-process venue, credentials, limits, faults and clocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from rebalancer.domain.errors import InvalidInput
from rebalancer.paper.account_specs import AccountSpec
from rebalancer.paper.admin_token import new_token
from rebalancer.paper.clock import SpeedClock
from rebalancer.paper.daily_bars import load_asset_bars
from rebalancer.paper.faults import Faults, FaultSettings
from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS
from rebalancer.paper.scenarios import scenario_named
from rebalancer.paper.seeding import derive_seed
from rebalancer.paper.server.rate_limits import RateLimiter
from rebalancer.paper.venue import build_venue


def wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 0
    scenario: str = "calm"
    data_dir: Path | None = None
    # Replay only: the market day the replay starts from (default: the first bar).
    start: date | None = None
    # Market seconds per wall second.
    speed: float = 1.0
    accounts: list[AccountSpec] = field(default_factory=list)
    weight_limit: int = 6000
    orders_limit: int = 100
    ban_after: int = 10
    ban_seconds: float = 120.0
    # None: the scenario's own faults.
    faults: FaultSettings | None = None
    # Wall seconds between background advances of every symbol.
    tick_seconds: float = 1.0
    # What /admin requests must carry (None: a fresh random token, see admin_token).
    admin_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Credential:
    account_id: str
    secret: str

    def __repr__(self) -> str:
        return f"Credential(account_id={self.account_id!r}, secret='**********')"


class VenueServer:
    def __init__(self, settings: ServerSettings, *, clock: Callable[[], datetime] = wall_clock):
        self.settings = settings
        self.clock = clock
        self.started_at = clock()
        self.scenario = scenario_named(settings.scenario)
        market_origin = self.started_at
        if self.scenario.replay:
            first = load_asset_bars(DEFAULT_INSTRUMENTS[0].base, settings.data_dir)[0].day
            day = settings.start or first
            if day < first:
                raise InvalidInput("--start", f"the data starts on {first}")
            market_origin = datetime.combine(day, time(0), tzinfo=UTC)
        self.market_clock = SpeedClock(self.started_at, market_origin, settings.speed)
        self.venue = build_venue(
            self.scenario,
            seed=settings.seed,
            start=market_origin,
            market_time=self.market_clock,
            data_dir=settings.data_dir,
        )
        self.limiter = RateLimiter(
            weight_limit=settings.weight_limit,
            orders_limit=settings.orders_limit,
            ban_after=settings.ban_after,
            ban_seconds=settings.ban_seconds,
        )
        self.faults = Faults(
            settings.faults if settings.faults is not None else self.scenario.faults,
            seed=derive_seed(settings.seed, "faults"),
            origin=self.started_at,
        )
        self.admin_token = settings.admin_token or new_token()
        self.credentials: dict[str, Credential] = {}
        self._uids: dict[str, int] = {}
        for spec in settings.accounts:
            self.add_account(spec)

    def now(self) -> datetime:
        return self.clock()

    def add_account(self, spec: AccountSpec) -> None:
        if spec.api_key in self.credentials:
            raise ValueError(f"api_key {spec.api_key!r} is already registered")
        self.venue.add_account(
            spec.id, spec.balances, maker_fee=spec.maker_fee, taker_fee=spec.taker_fee
        )
        self.credentials[spec.api_key] = Credential(spec.id, spec.api_secret.get_secret_value())
        self._uids[spec.id] = len(self._uids) + 1

    def uid(self, account_id: str) -> int:
        return self._uids[account_id]

    def account_id(self, name: str) -> str | None:
        """The account called ``name``, by account id or by API key."""
        if self.venue.has_account(name):
            return name
        credential = self.credentials.get(name)
        return credential.account_id if credential else None

    def api_key_of(self, account_id: str) -> str | None:
        for key, credential in self.credentials.items():
            if credential.account_id == account_id:
                return key
        return None
