#!/bin/sh
# One-shot: the namespace the worker uses, and the search attributes the account workflow
# upserts (rebalancer/pipeline/search_attributes.py). Without them the first upsert fails the
# workflow task, so the worker waits for this to finish. Safe to run again: each step checks
# first.
set -eu

: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS}"
: "${TEMPORAL_NAMESPACE:=default}"
: "${NAMESPACE_RETENTION:=72h}"

# Dial the server's IPv4 address: the CLI may otherwise try an IPv6 record Docker's network
# does not route (Temporal's own compose samples do the same).
host="${TEMPORAL_ADDRESS%:*}"
port="${TEMPORAL_ADDRESS##*:}"
ip=$(getent ahosts "$host" | grep STREAM | grep -v ':' | head -1 | awk '{print $1}' || true)
if [ -n "$ip" ]; then
    TEMPORAL_ADDRESS="${ip}:${port}"
fi
export TEMPORAL_ADDRESS TEMPORAL_NAMESPACE

echo "waiting for Temporal at ${TEMPORAL_ADDRESS}"
attempts=0
until temporal operator cluster health >/dev/null 2>&1; do
    attempts=$((attempts + 1))
    if [ "$attempts" -ge 60 ]; then
        echo "Temporal at ${TEMPORAL_ADDRESS} did not become healthy" >&2
        exit 1
    fi
    sleep 2
done

if ! temporal operator namespace describe --namespace "${TEMPORAL_NAMESPACE}" >/dev/null 2>&1; then
    temporal operator namespace create --namespace "${TEMPORAL_NAMESPACE}" --retention "${NAMESPACE_RETENTION}"
fi

# A new namespace takes a moment to reach every frontend's cache.
until temporal operator search-attribute list --namespace "${TEMPORAL_NAMESPACE}" >/tmp/attributes 2>/dev/null; do
    sleep 1
done

for pair in RebalancerAccount:Keyword RebalancerState:Keyword RebalancerMaxDrift:Double; do
    name="${pair%%:*}"
    kind="${pair##*:}"
    if grep -qw "$name" /tmp/attributes; then
        echo "search attribute $name already registered"
    else
        temporal operator search-attribute create --namespace "${TEMPORAL_NAMESPACE}" --name "$name" --type "$kind"
    fi
done
echo "namespace ${TEMPORAL_NAMESPACE} ready"
