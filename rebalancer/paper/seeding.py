"""Deterministic seeds and hashes: the same seed gives the same market on every machine.

Python's ``hash`` of a string changes per process, so every derived seed goes through
SHA-256 instead.
"""

from __future__ import annotations

import hashlib

_MASK64 = (1 << 64) - 1


def derive_seed(seed: int, *parts: object) -> int:
    """A 64-bit seed for one component (a symbol's path, its flow, a replayed day)."""
    text = ":".join([str(seed), *(str(part) for part in parts)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def unit_hash(key: int, value: int) -> float:
    """A uniform number in [0, 1) from two integers (splitmix64): cheap enough per level."""
    z = (key ^ (value * 0x9E3779B97F4A7C15)) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    z ^= z >> 31
    return z / 2.0**64
