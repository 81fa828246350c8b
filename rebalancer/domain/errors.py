"""The domain's errors: one small module, so callers can catch by meaning."""

from __future__ import annotations


class RebalancerError(Exception):
    """Base class for errors this project raises on purpose."""


class InvalidInput(RebalancerError, ValueError):
    """Input refused at the edge. ``field`` names what was wrong, ``rule`` what it broke."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule
