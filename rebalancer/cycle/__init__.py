"""One trading cycle, written once, driven by two hosts.

``trading_cycle`` is deterministic code against ``port.CyclePort``: the account workflow
implements the port with activities, the backtest with its in-process venue.
"""
