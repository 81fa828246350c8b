"""``rebalancer db``: bring the ledger's schema up to date, or show where it stands.

The database is the one ``rebalancer worker`` uses: the database_url setting
(REBALANCER_DATABASE_URL, DATABASE_URL or the config file), else the dev stack's while it is
up, else the embedded server when REBALANCER_EMBEDDED_DATABASE=true asks for it.
"""

from __future__ import annotations

import argparse

HELP = "migrate the ledger database or show its migrations"
DESCRIPTION = "The ledger database: DATABASE_URL, else the dev stack's."


def register(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="db_command", required=True)
    migrate_parser = actions.add_parser(
        "migrate", help="apply pending migrations (safe to run any number of times)"
    )
    migrate_parser.set_defaults(handler=handle_migrate)
    status_parser = actions.add_parser("status", help="list migrations and whether each is applied")
    status_parser.set_defaults(handler=handle_status)


def database_url() -> str:
    from rebalancer.devstack.stack import with_dev_ledger
    from rebalancer.ledger.embedded import ledger_url
    from rebalancer.runtime.config import load_settings

    return ledger_url(with_dev_ledger(load_settings()))


def handle_migrate(args: argparse.Namespace) -> int:
    import asyncio

    from rebalancer.ledger.connection import redact
    from rebalancer.ledger.migrate import load_migrations, migrate

    dsn = database_url()
    applied = asyncio.run(migrate(dsn))
    names = {migration.version: migration.filename for migration in load_migrations()}
    for version in applied:
        print(f"applied {names[version]}")
    known = f"{len(names)} migration" + ("" if len(names) == 1 else "s")
    print(f"{redact(dsn)}: schema up to date ({known}, {len(applied)} new)")
    return 0


def handle_status(args: argparse.Namespace) -> int:
    import asyncio

    from rebalancer.ledger.connection import redact
    from rebalancer.ledger.migrate import migration_status

    dsn = database_url()
    states = asyncio.run(migration_status(dsn))
    print(redact(dsn))
    for state in states:
        when = state.applied_at.isoformat(timespec="seconds") if state.applied_at else "-"
        print(f"{state.version:04d}  {state.name:<32} {state.state:<8} {when}")
    problems = [state for state in states if state.state in ("changed", "unknown")]
    return 1 if problems else 0
