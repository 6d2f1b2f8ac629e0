-- A network may reverse a payment it reported (a Fawry refund): the payment keeps its row and
-- says when and by which event it was reversed; its number and lines are un-paid and an
-- exception tells the accountant.
alter table payments add column reversed_at timestamptz;
alter table payments add column reversal_transaction_id text;
grant update (reversed_at, reversal_transaction_id) on payments to fleet_app;

alter table exceptions drop constraint exceptions_kind_check;
alter table exceptions add constraint exceptions_kind_check
  check (kind in ('suspect_mass_settlement', 'amount_mismatch', 'unknown_reference', 'superseded_reference',
                  'expired_reference', 'duplicate_payment', 'paid_still_outstanding', 'settled_without_payment',
                  'payment_reversed'));
