-- A payment number's lines are written only by the statement that writes the number, tens of
-- thousands at a time, so their tie to the number is checked once per statement instead of row by
-- row (the foreign key looked each number up again for every line). What the foreign key
-- guaranteed still holds:
-- * every line inserted names a number of its account (one anti-join over the statement's lines);
-- * a line's account and number never change afterwards;
-- * a number with lines is never deleted, nor moved to another account (the application role has
--   no DELETE on either table in any case).
alter table payment_number_lines drop constraint payment_number_lines_account_id_payment_number_id_fkey;

create function payment_number_lines_name_numbers() returns trigger
language plpgsql as $$
begin
  if exists (select from added l where not exists (
               select from payment_numbers p where p.account_id = l.account_id and p.id = l.payment_number_id)) then
    raise foreign_key_violation using message = 'a payment number line names no payment number of its account';
  end if;
  return null;
end
$$;
create trigger payment_number_lines_name_numbers after insert on payment_number_lines
  referencing new table as added for each statement execute function payment_number_lines_name_numbers();

create function payment_number_keys_fixed() returns trigger
language plpgsql as $$
begin
  raise foreign_key_violation using message = format('%s: a payment number''s lines keep their number', tg_table_name);
end
$$;
-- Row triggers naming the key columns fire only for an UPDATE that sets them (never the
-- product's), so the lines' and numbers' state updates pay nothing for them.
create trigger payment_number_lines_keys_fixed before update of account_id, payment_number_id on payment_number_lines
  for each row execute function payment_number_keys_fixed();
create trigger payment_numbers_keys_fixed before update of account_id on payment_numbers
  for each row execute function payment_number_keys_fixed();

create function payment_numbers_keep_lined() returns trigger
language plpgsql as $$
begin
  if exists (select from removed p join payment_number_lines l on l.account_id = p.account_id
                                                              and l.payment_number_id = p.id) then
    raise foreign_key_violation using message = 'a payment number with lines cannot be deleted';
  end if;
  return null;
end
$$;
create trigger payment_numbers_keep_lined after delete on payment_numbers
  referencing old table as removed for each statement execute function payment_numbers_keep_lined();
