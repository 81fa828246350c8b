-- Each watched account's no-trade region as of its last cycle: what the venue's fleet
-- watcher screens it against (rebalancer/watch). One row per account, replaced by every
-- cycle; updated_at is the watcher's cursor, so it is the time of the write itself.
CREATE TABLE no_trade_regions (
    account_id  text        PRIMARY KEY REFERENCES accounts,
    quote       text        NOT NULL,
    targets     jsonb       NOT NULL,
    bands       jsonb       NOT NULL,
    sizing      text        NOT NULL CHECK (sizing IN ('target', 'band_edge', 'joint')),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX no_trade_regions_updated ON no_trade_regions (updated_at);
