"""The development stack: Temporal dev server, embedded PostgreSQL and the paper venue on one
machine (``rebalancer dev``), the demo on top of it, and the audit that checks a run against
the venue's own records. Beside the CLI at the top: nothing below imports it.
"""
