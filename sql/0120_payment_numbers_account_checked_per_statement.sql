-- A night writes a payment number per vehicle, tens of thousands in one statement, so a number's
-- tie to its account is checked once per statement instead of row by row (the foreign key looked
-- the account up again for every number), as sql/0091 does for the lines' tie to their numbers.
-- What the foreign key guaranteed still holds:
-- * every number inserted names an account (one anti-join over the statement's numbers);
-- * a number's account never changes afterwards (payment_numbers_keys_fixed, sql/0091);
-- * an account with numbers is never deleted (the application role has no DELETE on accounts in
--   any case).
alter table payment_numbers drop constraint payment_numbers_account_id_fkey;

create function payment_numbers_name_accounts() returns trigger
language plpgsql as $$
begin
  if exists (select from added n where not exists (select from accounts a where a.id = n.account_id)) then
    raise foreign_key_violation using message = 'a payment number names no account';
  end if;
  return null;
end
$$;
create trigger payment_numbers_name_accounts after insert on payment_numbers
  referencing new table as added for each statement execute function payment_numbers_name_accounts();

create function accounts_keep_payment_numbers() returns trigger
language plpgsql as $$
begin
  if exists (select from removed a join payment_numbers n on n.account_id = a.id) then
    raise foreign_key_violation using message = 'an account with payment numbers cannot be deleted';
  end if;
  return null;
end
$$;
create trigger accounts_keep_payment_numbers after delete on accounts
  referencing old table as removed for each statement execute function accounts_keep_payment_numbers();
