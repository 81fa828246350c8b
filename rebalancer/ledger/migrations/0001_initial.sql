-- The ledger: audit trail of every decision, order and fill, and the memory reconciliation
-- reads. NUMERIC without precision or scale keeps every Decimal exact; every time is
-- TIMESTAMPTZ. The CHECK lists on order status, side and balance source mirror the Literal
-- types in rebalancer/ledger/records.py, because the store's logic depends on them: widening
-- one needs a migration (tests/ledger/test_schema.py fails until there is one).

CREATE TABLE accounts (
    account_id  text        PRIMARY KEY,
    venue       text        NOT NULL,
    quote       text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE target_versions (
    account_id    text        NOT NULL REFERENCES accounts,
    effective_at  timestamptz NOT NULL,
    source        text        NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, effective_at)
);

CREATE TABLE target_weights (
    account_id    text        NOT NULL,
    effective_at  timestamptz NOT NULL,
    asset         text        NOT NULL,
    weight        numeric     NOT NULL,
    PRIMARY KEY (account_id, effective_at, asset),
    FOREIGN KEY (account_id, effective_at) REFERENCES target_versions ON DELETE CASCADE
);

CREATE TABLE cycles (
    account_id      text        NOT NULL REFERENCES accounts,
    cycle           bigint      NOT NULL CHECK (cycle >= 0),
    -- Trigger and status are labels for the audit, unconstrained: a label the code adds
    -- later must not make a running workflow's writes fail.
    trigger         text        NOT NULL,
    started_at      timestamptz NOT NULL,
    drift_snapshot  jsonb       NOT NULL DEFAULT '{}',
    status          text        NOT NULL DEFAULT 'running',
    ended_at        timestamptz,
    decision        jsonb,
    predicted_cost  numeric,
    realised_cost   numeric,
    PRIMARY KEY (account_id, cycle)
);

CREATE TABLE orders (
    client_order_id  text        PRIMARY KEY,
    account_id       text        NOT NULL REFERENCES accounts,
    cycle            bigint      NOT NULL CHECK (cycle >= 0),
    venue            text        NOT NULL,
    venue_order_id   text,
    symbol           text        NOT NULL,
    side             text        NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity         numeric     NOT NULL CHECK (quantity > 0),
    limit_price      numeric     NOT NULL CHECK (limit_price > 0),
    status           text        NOT NULL
        CHECK (status IN ('pending', 'open', 'closed', 'canceled', 'rejected', 'expired')),
    filled_quantity  numeric     NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    average_price    numeric     CHECK (average_price > 0),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

-- Reconciliation asks for the open orders of one account on every cycle; the partial index
-- stays as small as the set of live orders.
CREATE INDEX orders_open_by_account ON orders (account_id, created_at)
    WHERE status IN ('pending', 'open');
CREATE INDEX orders_by_account ON orders (account_id, created_at);
CREATE INDEX orders_by_cycle ON orders (account_id, cycle);
-- Not unique: a paper venue restarted on a fresh book may hand out an id again.
CREATE INDEX orders_by_venue_order_id ON orders (venue, venue_order_id)
    WHERE venue_order_id IS NOT NULL;

-- A venue numbers trades per symbol (Binance's myTrades ids are), and a trade between two of
-- our accounts appears in both, so the natural key carries the symbol and the account.
CREATE TABLE fills (
    venue            text        NOT NULL,
    account_id       text        NOT NULL REFERENCES accounts,
    symbol           text        NOT NULL,
    trade_id         text        NOT NULL,
    client_order_id  text,
    venue_order_id   text        NOT NULL,
    side             text        NOT NULL CHECK (side IN ('buy', 'sell')),
    quantity         numeric     NOT NULL CHECK (quantity > 0),
    price            numeric     NOT NULL CHECK (price > 0),
    fee              numeric     NOT NULL CHECK (fee >= 0),
    fee_asset        text        NOT NULL,
    executed_at      timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (venue, account_id, symbol, trade_id)
);

CREATE INDEX fills_by_account_time ON fills (account_id, executed_at);
CREATE INDEX fills_by_client_order_id ON fills (client_order_id)
    WHERE client_order_id IS NOT NULL;
CREATE INDEX fills_by_venue_order_id ON fills (venue, venue_order_id);

CREATE TABLE balance_snapshots (
    account_id  text        NOT NULL REFERENCES accounts,
    taken_at    timestamptz NOT NULL,
    source      text        NOT NULL CHECK (source IN ('initial', 'cycle', 'reconcile')),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, taken_at, source)
);

-- balances_from_fills starts from the latest baseline.
CREATE INDEX balance_snapshots_initial ON balance_snapshots (account_id, taken_at)
    WHERE source = 'initial';

CREATE TABLE balance_rows (
    account_id  text        NOT NULL,
    taken_at    timestamptz NOT NULL,
    source      text        NOT NULL,
    asset       text        NOT NULL,
    free        numeric     NOT NULL CHECK (free >= 0),
    locked      numeric     NOT NULL CHECK (locked >= 0),
    PRIMARY KEY (account_id, taken_at, source, asset),
    FOREIGN KEY (account_id, taken_at, source) REFERENCES balance_snapshots ON DELETE CASCADE
);
