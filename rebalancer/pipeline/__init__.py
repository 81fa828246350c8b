"""The account workflow's contract: the messages between the workflow, its activities and its
operators, the workflow's durable state, the names they address each other by, and the
search attributes' definitions.

Pydantic models and constants only, no I/O: the workflow sandbox imports them, activities
fill them, the CLI sends them. No secret is ever a field here: activities resolve credentials
by account id. Registering the search attributes on a server is the operator's side
(``rebalancer.control``).
"""
