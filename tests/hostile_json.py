"""Hypothesis strategies for what a hostile or broken peer sends: odd scalars, nested as JSON
nests them. The fuzz tests of the CLI, the paper venue's routes and the venue parsers share
them, so each meets the same kinds of garbage."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Far beyond the 1e30 the domain's numbers allow: a bound must refuse them, not overflow.
HUGE = 10**40
KEYS = st.text(max_size=8)


def scalars(*odd_texts: str, nan: bool = False) -> st.SearchStrategy[Any]:
    """None, booleans, integers far beyond any amount, floats, text, and ``odd_texts``
    (spellings a parser might take for a number). NaN and infinities only with ``nan``: a
    JSON document cannot hold them, but a parsed one (ccxt's) can."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-HUGE, max_value=HUGE),
        st.floats(allow_nan=nan, allow_infinity=nan),
        st.text(max_size=20),
        st.sampled_from(odd_texts),
    )


def nested(
    leaves: st.SearchStrategy[Any],
    keys: st.SearchStrategy[str] = KEYS,
    *,
    width: int = 3,
    max_leaves: int = 8,
) -> st.SearchStrategy[Any]:
    """``leaves``, and lists and objects of them up to ``width`` long, nested."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=width), st.dictionaries(keys, inner, max_size=width)
        ),
        max_leaves=max_leaves,
    )
