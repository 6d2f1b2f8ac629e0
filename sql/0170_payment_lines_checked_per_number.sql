-- The lines' tie to their numbers (sql/0091) is checked once per number a statement's lines name,
-- not once per line: a night's vehicle numbers have five lines each and the consolidated number
-- hundreds of thousands, all naming the same number (250,000 primary-key probes for that one
-- number took 1.2–1.6 s). Each distinct number is probed in the numbers' primary key; plans that
-- read every number of the account (a seq scan, a hash or merge join) are ruled out, because
-- right after a night the numbers' statistics can still say the table is empty.
create or replace function payment_number_lines_name_numbers() returns trigger
language plpgsql
set enable_seqscan = off set enable_hashjoin = off set enable_mergejoin = off
as $$
begin
  if exists (select from (select distinct account_id, payment_number_id from added) l
             where not exists (select from payment_numbers p
                               where p.account_id = l.account_id and p.id = l.payment_number_id)) then
    raise foreign_key_violation using message = 'a payment number line names no payment number of its account';
  end if;
  return null;
end
$$;
