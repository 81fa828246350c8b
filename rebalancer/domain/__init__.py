"""The pure domain: exact Decimal models and rules, no I/O.

Workflows, activities, the backtest and the CLI all import from here; nothing here imports
from them.
"""
