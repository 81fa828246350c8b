"""Replays markets through the same policy code and matching engine, and reports the cost.

``rebalancer backtest`` (``rebalancer/cli/backtest.py``) is the entry point; docs/value.md has
the method and the results. In order of the pipeline:

- ``markets``: which market and period (real daily bars or a simulated regime).
- ``desk``: one policy's account at its own in-process paper venue, on the backtest's clock.
- ``cost_aware``: the account workflow's cycle around ``domain.decide.decide``.
- ``baselines``: calendar, threshold and the seed article's engine, as small rules.
- ``simulator``: drives a policy over a market and samples the account hourly.
- ``metrics``: cost and tracking error, exactly, from the samples and fills.
- ``experiment`` and ``study``: many runs in parallel, tuning on a training period.
- ``frontier``: the risk-aversion sweep, dominance and the issue's goals.
- ``report`` and ``charts``: JSON, markdown, PNG.
"""
