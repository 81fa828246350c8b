"""Shared fixtures, one plugin module per area, so every area's servers start once."""

pytest_plugins = [
    "tests.domain_fixtures",
    "tests.postgres_fixtures",
    "tests.paper_venue_fixtures",
]
