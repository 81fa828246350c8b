#!/bin/sh
# One-shot: create Temporal's two databases on temporal-db and bring their schemas up to
# date. Safe to run on every `docker compose up`: create skips an existing database,
# setup-schema keeps an existing version table, update-schema applies only what is missing.
set -eu

: "${SQL_HOST:?set SQL_HOST}"
: "${SQL_PORT:=5432}"
: "${SQL_USER:?set SQL_USER}"
: "${SQL_PASSWORD:?set SQL_PASSWORD}"
SCHEMA=/etc/temporal/schema/postgresql/v12

echo "waiting for PostgreSQL at ${SQL_HOST}:${SQL_PORT}"
until nc -z "${SQL_HOST}" "${SQL_PORT}"; do sleep 1; done

for db in temporal temporal_visibility; do
    case "$db" in
        temporal) dir="${SCHEMA}/temporal/versioned" ;;
        *) dir="${SCHEMA}/visibility/versioned" ;;
    esac
    temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" --db "$db" create
    temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" --db "$db" setup-schema -v 0.0
    temporal-sql-tool --plugin postgres12 --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" --db "$db" update-schema -d "$dir"
done
echo "Temporal schema up to date"
