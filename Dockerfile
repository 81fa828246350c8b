# The rebalancer image: the worker by default; the same image runs the paper venue and every
# `rebalancer` command (docker compose -f docker-compose.temporal.yml exec worker rebalancer ...).
#
# Two stages: the first builds wheels for the project and its dependencies, the second
# installs them into a clean interpreter, so no source tree or build tooling ships.

FROM python:3.11.11-slim-bookworm AS build

WORKDIR /src
# Everything `pip install .` reads (pyproject.toml names README.md as the readme, the three
# packages and worker.py as a module); tests/deploy/test_dockerfile.py keeps this list honest.
COPY pyproject.toml README.md worker.py ./
COPY rebalancer ./rebalancer
COPY workflows ./workflows
COPY activities ./activities
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REBALANCER_STATE_DIR=/var/lib/rebalancer \
    REBALANCER_LOG_FORMAT=json \
    REBALANCER_METRICS_PORT=9464

COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels rebalancer \
    && rm -rf /wheels \
    && groupadd --system --gid 10001 rebalancer \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/rebalancer \
       --create-home --shell /usr/sbin/nologin rebalancer

# Credentials arrive as a file (a compose secret or a mount), never as image layers.
USER 10001:10001
WORKDIR /var/lib/rebalancer

EXPOSE 9464

# Healthy once the ledger is migrated and /metrics answers (the worker starts the metrics
# server before it connects to Temporal, and exits if it cannot connect).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['REBALANCER_METRICS_PORT'] + '/metrics', timeout=4)"]

ENTRYPOINT ["rebalancer"]
CMD ["worker"]
