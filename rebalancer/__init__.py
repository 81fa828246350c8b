"""rebalancer: cost-aware, durable crypto portfolio rebalancing."""

__version__ = "0.1.0"
