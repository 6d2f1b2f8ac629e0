-- A settlement file writes a payment per row, a hundred thousand in one statement, so a payment's
-- tie to its account is checked once per statement instead of row by row (the foreign key looked
-- the account up again for every payment), as sql/0120 does for payment numbers. What the foreign
-- key guaranteed still holds:
-- * every payment inserted names an account (one anti-join over the statement's payments);
-- * a payment's account never changes afterwards (payments_keys_fixed; the application role may
--   update only the reversal columns in any case);
-- * an account with payments is never deleted, nor given another id (the application role has no
--   DELETE on accounts, and an identity id changes only to a new default, in any case).
alter table payments drop constraint payments_account_id_fkey;

create function payments_name_accounts() returns trigger
language plpgsql as $$
begin
  if exists (select from added p where not exists (select from accounts a where a.id = p.account_id)) then
    raise foreign_key_violation using message = 'a payment names no account';
  end if;
  return null;
end
$$;
create trigger payments_name_accounts after insert on payments
  referencing new table as added for each statement execute function payments_name_accounts();

create function payments_keys_fixed() returns trigger
language plpgsql as $$
begin
  raise foreign_key_violation using message = 'a payment keeps its account';
end
$$;
-- Fires only for an UPDATE that sets the column (never the product's).
create trigger payments_keys_fixed before update of account_id on payments
  for each row execute function payments_keys_fixed();

create function accounts_keep_payments() returns trigger
language plpgsql as $$
begin
  if exists (select from removed a join payments p on p.account_id = a.id) then
    raise foreign_key_violation using message = 'an account with payments cannot be deleted';
  end if;
  return null;
end
$$;
create trigger accounts_keep_payments after delete on accounts
  referencing old table as removed for each statement execute function accounts_keep_payments();

create function accounts_keep_payments_id() returns trigger
language plpgsql as $$
begin
  if new.id <> old.id and exists (select from payments p where p.account_id = old.id) then
    raise foreign_key_violation using message = 'an account with payments keeps its id';
  end if;
  return new;
end
$$;
create trigger accounts_keep_payments_id before update of id on accounts
  for each row execute function accounts_keep_payments_id();

-- (account_id, id desc) repeated the primary key (account_id, id), which a backward scan reads in
-- the same order; every payment and every number paid wrote an entry in each.
drop index payments_recent;
drop index payment_numbers_recent;
