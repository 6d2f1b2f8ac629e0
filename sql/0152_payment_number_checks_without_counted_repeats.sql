-- PostgreSQL checks every CHECK constraint of a row again on each UPDATE, whatever it sets, and a
-- regular expression with a counted repeat ({64}, {10,24}) is matched by an automaton that grows
-- with the count: the two shape checks of a payment number cost more than the rest of the UPDATE
-- that records its payment. The same rules, as a length and a repeat without a count.
alter table payment_numbers drop constraint payment_numbers_number_check,
  add constraint payment_numbers_number_check check (length(number) between 10 and 24 and number ~ '^[0-9]+$');
alter table payment_numbers drop constraint payment_numbers_line_hash_check,
  add constraint payment_numbers_line_hash_check check (length(line_hash) = 64 and line_hash ~ '^[0-9a-f]+$');
