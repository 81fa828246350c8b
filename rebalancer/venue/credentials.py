"""API credentials per account, resolved by account id, and the gateway factory.

Sources, first match wins:

1. Environment: ``REBALANCER_<ID>_API_KEY`` and ``REBALANCER_<ID>_API_SECRET`` (and
   optionally ``REBALANCER_<ID>_VENUE``, default ``paper``, and ``_API_PASSPHRASE`` for
   venues whose keys have one, such as OKX), where ``<ID>`` is the account
   id upper-cased with ``_`` written ``__`` and ``-`` written ``_H``: ``alice_main`` reads
   ``REBALANCER_ALICE__MAIN_API_KEY``, ``alice-main`` reads ``REBALANCER_ALICE_HMAIN_API_KEY``.
   Every ``_`` in ``<ID>`` starts a two-character escape, so the name decodes back to exactly
   one id (``account_id_of``) and two accounts never read each other's keys. (Writing ``-``
   as a single ``_`` cannot work: with ``_`` as ``__``, ``a-_b`` and ``a_-b`` would both be
   ``A___B``.) Ids whose variables would fall among rebalancer's own settings (``temporal``
   would read ``REBALANCER_TEMPORAL_API_KEY``) are refused.
2. The JSON file of the credentials_file setting (``REBALANCER_CREDENTIALS_FILE``; default
   ``<state dir>/credentials.json``)::

       {"accounts": {"alice": {"venue": "paper", "api_key": "...", "api_secret": "..."}}}

   (plus ``"api_passphrase"`` for a venue that needs one).

Secrets are ``SecretStr``: no repr, str, log line or error message shows them. The account's
variables are read from the environment by ``_account_environment`` alone: their names derive
from the account id, so they cannot be fields of ``Settings``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.market import Frozen
from rebalancer.domain.snapshot_json import describe
from rebalancer.domain.text_files import parse_json, read_text_file
from rebalancer.runtime.config import Settings, load_settings, setting_env_names
from rebalancer.runtime.paths import state_dir
from rebalancer.venue.ccxt_gateway import CcxtGateway
from rebalancer.venue.profiles import PAPER, PAPER_EXCHANGE, profile_for


class Credentials(Frozen):
    venue: str = Field(default=PAPER, min_length=1)
    api_key: SecretStr = Field(min_length=1)
    api_secret: SecretStr = Field(min_length=1)
    # The key's passphrase, on venues that issue one (OKX).
    api_passphrase: SecretStr | None = Field(default=None, min_length=1)


class CredentialsFile(Frozen):
    accounts: dict[str, Credentials]


class MissingCredentials(InvalidInput):
    pass


ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
ENV_PREFIX = "REBALANCER_"
_ESCAPES = {"_": "__", "-": "_H"}
# The variables an account reads: REBALANCER_<ID> followed by one of these.
SUFFIXES = ("_API_KEY", "_API_SECRET", "_API_PASSPHRASE", "_VENUE")
_UNESCAPES = {code: char for char, code in _ESCAPES.items()}


def _encode(account_id: str) -> str:
    return "".join(_ESCAPES.get(char, char.upper()) for char in account_id)


def account_id_of(prefix: str) -> str:
    """The account id whose env prefix is ``prefix``: ``env_prefix`` reversed."""
    if not prefix.startswith(ENV_PREFIX):
        raise InvalidInput("prefix", f"must start with {ENV_PREFIX}")
    encoded, decoded, index = prefix.removeprefix(ENV_PREFIX), [], 0
    while index < len(encoded):
        if encoded[index] == "_":
            code = encoded[index : index + 2]
            if code not in _UNESCAPES:
                raise InvalidInput("prefix", f"{prefix} is not an account's env prefix")
            decoded.append(_UNESCAPES[code])
            index += 2
        else:
            decoded.append(encoded[index].lower())
            index += 1
    account_id = "".join(decoded)
    if not ACCOUNT_ID.fullmatch(account_id) or _encode(account_id) != encoded:
        raise InvalidInput("prefix", f"{prefix} is not an account's env prefix")
    return account_id


def env_prefix(account_id: str) -> str:
    """``REBALANCER_<ID>``: one prefix per account id, never a setting's name (module doc)."""
    if not ACCOUNT_ID.fullmatch(account_id):
        raise InvalidInput("account_id", f"{account_id!r} must match {ACCOUNT_ID.pattern}")
    prefix = ENV_PREFIX + _encode(account_id)
    taken = sorted({prefix, *(prefix + suffix for suffix in SUFFIXES)} & setting_env_names())
    if taken:
        raise InvalidInput(
            "account_id",
            f"{account_id!r} is reserved: its credentials would be read from "
            f"{', '.join(taken)}, which configures rebalancer itself; choose another id",
        )
    return prefix


def credentials_path(settings: Settings | None = None) -> Path:
    """The credentials_file setting, else ``<state dir>/credentials.json``."""
    settings = settings or load_settings()
    return settings.credentials_file or state_dir(settings) / "credentials.json"


def _legacy_prefix(account_id: str) -> str:
    # Names from before the escaped scheme (alice-main and alice_main shared them).
    return ENV_PREFIX + re.sub(r"[^a-z0-9]", "_", account_id).upper()


def _account_environment(account_id: str) -> dict[str, str]:
    """The account's own variables that are set, by suffix (``_API_KEY``, ...), plus
    ``legacy`` when a variable of the old, unescaped name is set."""
    prefix = env_prefix(account_id)
    found = {suffix: os.environ.get(prefix + suffix, "") for suffix in SUFFIXES}
    legacy = _legacy_prefix(account_id)
    if legacy != prefix and f"{legacy}_API_KEY" in os.environ:
        found["legacy"] = legacy
    return {name: value for name, value in found.items() if value}


def _from_env(account_id: str) -> Credentials | None:
    prefix = env_prefix(account_id)
    variables = _account_environment(account_id)
    key, secret = variables.get("_API_KEY"), variables.get("_API_SECRET")
    if not key and not secret:
        return None
    if not key or not secret:
        raise InvalidInput(f"{prefix}_API_KEY", f"needs {prefix}_API_SECRET too (and the reverse)")
    venue = variables.get("_VENUE") or PAPER
    passphrase = variables.get("_API_PASSPHRASE")
    return Credentials(
        venue=venue,
        api_key=SecretStr(key),
        api_secret=SecretStr(secret),
        api_passphrase=SecretStr(passphrase) if passphrase else None,
    )


# Parsed credentials files by (path, size, modification time): a fleet opens gateways all
# day, and re-reading a file of thousands of accounts each time would cost more than the call.
# A rotated file (new content, new mtime) is read again.
_PARSED: dict[Path, tuple[tuple[int, int], CredentialsFile]] = {}


def _from_file(account_id: str, path: Path) -> Credentials | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InvalidInput(str(path), f"cannot read credentials: {error.strerror}") from None
    version = (stat.st_size, stat.st_mtime_ns)
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == version:
        return cached[1].accounts.get(account_id)
    _, parsed = read_credentials_file(path)
    _PARSED[path] = (version, parsed)
    return parsed.accounts.get(account_id)


def read_credentials_file(path: Path) -> tuple[dict[str, Any], CredentialsFile]:
    """The file as JSON and as validated credentials; any problem refused naming the file.
    (A valid file holds strings only, so the JSON can be written back as it was read.)"""
    data = parse_json(read_text_file(path, str(path), "credentials file"), str(path))
    if not isinstance(data, dict):
        raise InvalidInput(str(path), 'must be a JSON object: {"accounts": {...}}')
    try:
        parsed = CredentialsFile.model_validate(data)
    except ValidationError as error:
        # The model's own message could echo the input; name only the place and the rule.
        problem = describe(error)
        raise InvalidInput(f"{path}: {problem.field}", problem.rule) from None
    return data, parsed


def resolve_credentials(account_id: str, *, credentials_file: Path | None = None) -> Credentials:
    """The account's credentials from the environment, else the credentials file
    (``credentials_path()`` unless given)."""
    found = _from_env(account_id)
    if found is not None:
        return found
    path = credentials_file or credentials_path()
    found = _from_file(account_id, path)
    if found is None:
        prefix = env_prefix(account_id)
        # Names from before the escaped scheme are not read; say so rather than let a set
        # variable look ignored for no reason.
        legacy = _account_environment(account_id).get("legacy")
        note = (
            f" ({legacy}_API_KEY is set but no longer read: ids are escaped, see docs)"
            if legacy
            else ""
        )
        raise MissingCredentials(
            "credentials",
            f"no credentials for account {account_id!r}: set {prefix}_API_KEY and "
            f"{prefix}_API_SECRET, or add it to {path}{note}",
        )
    return found


def open_gateway(
    account_id: str,
    venue: str,
    *,
    paper_url: str | None = None,
    credentials_file: Path | None = None,
) -> CcxtGateway:
    """A gateway for ``account_id`` on ``venue`` ("paper", or a ccxt exchange id).

    The paper venue is ccxt.binance pointed at ``paper_url`` (default: the paper_venue_url
    setting).
    """
    credentials = resolve_credentials(account_id, credentials_file=credentials_file)
    if credentials.venue != venue:
        raise InvalidInput(
            "venue",
            f"account {account_id!r} has credentials for {credentials.venue!r}, not {venue!r}",
        )
    if venue == PAPER:
        return CcxtGateway(
            PAPER_EXCHANGE,
            api_key=credentials.api_key,
            api_secret=credentials.api_secret,
            venue=PAPER,
            base_url=paper_url or load_settings().paper_venue_url,
        )
    if profile_for(venue).needs_passphrase and credentials.api_passphrase is None:
        raise MissingCredentials(
            "api_passphrase",
            f"{venue} keys have a passphrase: set {env_prefix(account_id)}_API_PASSPHRASE "
            f"or api_passphrase in the credentials file for account {account_id!r}",
        )
    return CcxtGateway(
        venue,
        api_key=credentials.api_key,
        api_secret=credentials.api_secret,
        api_passphrase=credentials.api_passphrase,
        venue=venue,
    )
