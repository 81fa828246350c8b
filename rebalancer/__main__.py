from rebalancer.cli import run

run()
