"""Every venue profile: our deterministic client ids map into ids the venue accepts, the
same every time and never two orders onto one id; depths asked are depths it accepts."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebalancer.domain.errors import InvalidInput
from rebalancer.domain.orders import client_order_id
from rebalancer.venue.profiles import PROFILES, check_venue, profile_for

VENUES = sorted(PROFILES)
account_ids = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,47}", fullmatch=True)
legs = st.from_regex(r"[A-Z0-9]{1,12}", fullmatch=True)
orders = st.tuples(account_ids, st.integers(0, 10**9), legs, st.integers(0, 10**4))


def test_the_five_venues_have_profiles() -> None:
    assert VENUES == ["binance", "bybit", "coinbase", "kraken", "okx"]


@pytest.mark.parametrize("venue", VENUES)
@given(order=orders)
def test_client_ids_are_accepted_and_deterministic(
    venue: str, order: tuple[str, int, str, int]
) -> None:
    profile = profile_for(venue)
    canonical = client_order_id(*order)
    mapped = profile.venue_client_id(canonical)
    assert profile.client_ids.accepts(mapped)
    assert profile.venue_client_id(canonical) == mapped


@pytest.mark.parametrize("venue", VENUES)
@given(first=orders, second=orders)
def test_two_orders_never_share_a_venue_id(
    venue: str, first: tuple[str, int, str, int], second: tuple[str, int, str, int]
) -> None:
    profile = profile_for(venue)
    one, other = client_order_id(*first), client_order_id(*second)
    if one != other:
        assert profile.venue_client_id(one) != profile.venue_client_id(other)


def test_every_order_of_a_busy_account_has_its_own_venue_id() -> None:
    ids = [client_order_id("acct", c, leg, s) for c in range(300) for leg in "AB" for s in (0, 1)]
    for venue in VENUES:
        mapped = {profile_for(venue).venue_client_id(i) for i in ids}
        assert len(mapped) == len(ids), venue


@pytest.mark.parametrize("venue", VENUES)
@pytest.mark.parametrize("levels", [1, 5, 20, 37, 100, 450, 10_000])
def test_book_depth_is_one_the_venue_accepts(venue: str, levels: int) -> None:
    profile = profile_for(venue)
    depth = profile.book_limit(levels)
    if profile.book_depths:
        assert depth in profile.book_depths
    if profile.max_book_depth is not None:
        assert depth <= profile.max_book_depth
    top = profile.book_depths[-1] if profile.book_depths else profile.max_book_depth
    assert depth >= levels or depth == top


def test_only_paper_and_profiled_venues_are_accepted() -> None:
    assert check_venue("--venue", "paper") == "paper"
    for venue in VENUES:
        assert check_venue("--venue", venue) == venue
    for bad in ("bitstamp", "Kraken", "", "binance "):
        with pytest.raises(InvalidInput) as refused:
            check_venue("--venue", bad)
        assert refused.value.field == "--venue"


@given(order=orders)
def test_uuid_digests_are_version_4_rfc_4122(order: tuple[str, int, str, int]) -> None:
    # A venue that checks the form (Kraken's cl_ord_id "UUID") must not refuse ours.
    canonical = client_order_id(*order)
    mapped = profile_for("kraken").venue_client_id(canonical)
    if mapped == canonical:
        return  # short enough for Kraken's free-text form
    parsed = uuid.UUID(mapped)
    assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
    assert str(parsed) == mapped
