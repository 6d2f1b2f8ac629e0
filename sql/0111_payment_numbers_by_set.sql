-- Every number a set ever had (open, superseded, paid…), found by the set: issuing counts a set's
-- generations and finds its open number for each staged group; the unique index covers open ones only.
create index payment_numbers_by_set on payment_numbers (account_id, kind, line_hash);
