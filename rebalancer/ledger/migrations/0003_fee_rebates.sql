-- A maker rebate is a negative fee (OKX and Bybit pay them to some accounts): the venue's
-- record, kept as it is. A fill the ledger refused would leave reconcile retrying for ever.
ALTER TABLE fills DROP CONSTRAINT fills_fee_check;
