"""Messages between the account workflow, its activities and its operators.

Pure pydantic models: the workflow sandbox imports them, activities fill them, the CLI sends
them. No secret is ever a field here: activities resolve credentials by account id.
"""
