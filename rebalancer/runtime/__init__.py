"""What every rebalancer process runs on: settings, local state, logging, metrics, tracing,
garbage collection, the workflow sandbox and the connection to Temporal.

Below the adapters (ledger, venue, paper) and above the domain: nothing here imports the
workflows, the activities or the commands.
"""
