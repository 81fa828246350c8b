"""``rebalancer paper-venue``: the Binance-dialect exchange simulator, as its own process.

Secrets never come from the command line, where ``ps`` shows them to every user: the API
secret of ``--api-key`` comes from ``REBALANCER_PAPER_API_SECRET`` or ``--api-secret-file``,
the admin token from ``REBALANCER_PAPER_ADMIN_TOKEN`` (else a fresh one), and the venue
writes the admin token to a file only its user can read (see rebalancer.paper.admin_token).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rebalancer.cli.arguments import argument_type, market_speed
from rebalancer.domain.errors import InvalidInput

if TYPE_CHECKING:
    from rebalancer.paper.faults import FaultSettings
    from rebalancer.paper.server.state import ServerSettings, VenueServer

SECRET_ENV = "REBALANCER_PAPER_API_SECRET"
TOKEN_ENV_HELP = "$REBALANCER_PAPER_ADMIN_TOKEN, else a fresh random one"

# Server settings given by the option of the same name, as argparse checked it.
_BY_OPTION = ("host", "port", "seed", "scenario", "start", "speed", "weight_limit", "orders_limit")


_non_negative_float = argument_type(
    float, "a number", lambda v: 0 <= v < math.inf, "must not be negative"
)
_port = argument_type(int, "a port number", lambda v: 0 <= v <= 65535, "is not between 0 and 65535")
_positive_int = argument_type(int, "a whole number", lambda v: v >= 1, "must be at least 1")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class _ScenarioNames:
    """The choices of --scenario, read from rebalancer.paper.scenarios only when argparse
    checks a value or prints this command's help: that import loads the whole paper venue
    (numpy), which building the parser for any other command must not pay for."""

    def __iter__(self) -> Iterator[str]:
        from rebalancer.paper.scenarios import SCENARIOS

        return iter(sorted(SCENARIOS))

    def __contains__(self, name: object) -> bool:
        return name in list(self)


HELP = "run the paper exchange (Binance spot dialect) that ccxt trades against"
DESCRIPTION = (
    "Serve a simulated exchange over HTTP in Binance's spot REST dialect: stock "
    "ccxt.binance with its URLs pointed here trades against it. Accounts come from "
    "--api-key/--api-secret-file/--balances and/or --accounts-file."
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=8765, help="port (default 8765; 0 picks a free one)"
    )
    parser.add_argument("--seed", type=int, default=0, help="market seed (default 0)")
    scenario = parser.add_argument(
        "--scenario", default="calm", help="market scenario (default calm)"
    )
    # Set here, not passed to add_argument: add_argument formats them at once.
    scenario.choices = _ScenarioNames()
    parser.add_argument(
        "--data", type=Path, help="folder of <ASSET>-USD.daily.csv files (replay; default bundled)"
    )
    parser.add_argument("--start", type=_day, help="replay: first market day (YYYY-MM-DD)")
    parser.add_argument(
        "--speed",
        type=market_speed,
        default=1.0,
        help="market seconds per wall second (default 1)",
    )
    parser.add_argument("--api-key", help="API key of one account")
    parser.add_argument(
        "--api-secret-file",
        type=Path,
        help=f"file holding the API secret of that account (or set {SECRET_ENV})",
    )
    # Kept only to refuse it by name: argparse would otherwise take --api-secret as an
    # abbreviation of --api-secret-file.
    parser.add_argument("--api-secret", help=argparse.SUPPRESS)
    parser.add_argument("--balances", help="its balances, e.g. USDT=100000,BTC=1")
    parser.add_argument("--accounts-file", type=Path, help="JSON file of accounts")
    parser.add_argument(
        "--weight-limit", type=_positive_int, default=6000, help="request weight per minute per IP"
    )
    parser.add_argument(
        "--orders-limit", type=_positive_int, default=100, help="orders per 10 s per account"
    )
    parser.add_argument(
        "--latency-ms", type=_non_negative_float, help="added latency per request (ms)"
    )
    parser.add_argument(
        "--admin-token-file",
        type=Path,
        help=(
            "where to write the /admin token (mode 0600; default: one per port in the state "
            f"directory); the token is {TOKEN_ENV_HELP}"
        ),
    )
    parser.set_defaults(handler=handle)


def _api_secret(args: argparse.Namespace) -> str | None:
    if args.api_secret is not None:
        raise InvalidInput(
            "--api-secret",
            f"a secret on the command line is visible to every user (ps); set {SECRET_ENV} "
            "or use --api-secret-file (and change the secret you just exposed)",
        )
    if args.api_secret_file is not None:
        try:
            secret: str = args.api_secret_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not UTF-8 text"
            raise InvalidInput(
                "--api-secret-file", f"cannot read {args.api_secret_file}: {reason}"
            ) from None
        if not secret:
            raise InvalidInput("--api-secret-file", f"{args.api_secret_file} is empty")
        return secret
    return os.environ.get(SECRET_ENV) or None


def settings_from(args: argparse.Namespace) -> ServerSettings:
    """Validate the arguments; every refusal names its option."""
    from rebalancer.paper.account_specs import AccountSpec, load_accounts_file, parse_balances
    from rebalancer.paper.admin_token import token_from_env
    from rebalancer.paper.daily_bars import bars_file
    from rebalancer.paper.instruments import DEFAULT_INSTRUMENTS
    from rebalancer.paper.scenarios import scenario_named
    from rebalancer.paper.server.state import ServerSettings

    accounts: list[AccountSpec] = []
    if args.accounts_file is not None:
        accounts += load_accounts_file(args.accounts_file)
    secret = _api_secret(args)
    if args.api_secret_file is not None and args.api_key is None:
        raise InvalidInput("--api-secret-file", "needs --api-key")
    if args.balances is not None and args.api_key is None:
        raise InvalidInput("--balances", "needs --api-key")
    if args.api_key is not None:
        if secret is None:
            raise InvalidInput(
                "--api-key", f"needs its secret in {SECRET_ENV} or --api-secret-file"
            )
        balances = parse_balances(args.balances) if args.balances else {}
        try:
            spec = AccountSpec(
                api_key=args.api_key,
                api_secret=secret,
                balances=balances,
            )
        except ValueError as error:
            raise InvalidInput("--api-key", str(error).splitlines()[0]) from None
        if any(a.api_key == spec.api_key for a in accounts):
            raise InvalidInput("--api-key", "also appears in --accounts-file")
        accounts.append(spec)
    scenario = scenario_named(args.scenario)
    if args.data is not None:
        if not args.data.is_dir():
            raise InvalidInput("--data", f"{args.data} is not a folder")
        for inst in DEFAULT_INSTRUMENTS:
            if not bars_file(inst.base, args.data).is_file():
                raise InvalidInput("--data", f"{bars_file(inst.base, args.data)} is missing")
    if args.start is not None and not scenario.replay:
        raise InvalidInput("--start", "only applies to --scenario replay")
    faults: FaultSettings | None = None
    if args.latency_ms is not None:
        faults = replace(scenario.faults, latency_ms=args.latency_ms)
    return ServerSettings(
        **{name: getattr(args, name) for name in _BY_OPTION},
        data_dir=args.data,
        accounts=accounts,
        faults=faults,
        admin_token=token_from_env(),
    )


def handle(args: argparse.Namespace) -> int:
    import asyncio

    settings = settings_from(args)
    asyncio.run(_run(settings, args.admin_token_file))
    return 0


async def _run(settings: ServerSettings, token_file: Path | None) -> None:
    import asyncio

    # Imported here: the rest of the CLI never needs aiohttp's server side.
    from rebalancer.paper.admin_token import default_token_file, remove_token_file, write_token_file
    from rebalancer.paper.server.app import serve

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    written: list[tuple[Path, str]] = []

    def ready(url: str, server: VenueServer) -> None:
        # Only now: the port is known (--port 0), and a venue that failed to bind must not
        # overwrite the token file of the one already listening there.
        path = token_file or default_token_file(urlsplit(url).port or settings.port)
        try:
            write_token_file(path, server.admin_token)
            written.append((path, server.admin_token))
            where = f"admin token in {path}"
        except OSError as error:
            where = f"admin token NOT written to {path}: {error.strerror}"
        print(
            f"paper-venue listening on {url} (scenario {settings.scenario}, seed "
            f"{settings.seed}, speed {settings.speed:g}, {len(settings.accounts)} accounts; "
            f"{where})",
            flush=True,
        )

    try:
        await serve(settings, stop=stop, ready=ready)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise InvalidInput(
            "--port", f"cannot listen on {settings.host}:{settings.port}: {reason}"
        ) from None
    finally:
        for path, token in written:
            remove_token_file(path, token)
    print("paper-venue stopped", file=sys.stderr, flush=True)
