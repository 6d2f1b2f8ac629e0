-- A payment's evidence is mostly its own columns and the number as the payment found it; building
-- it as a jsonb of ~15 keys per payment cost a settlement file more than writing its rows. The
-- number as found is kept in columns, `evidence` keeps only what no column says (the reference
-- as it came when it differs, why it is not a number, the currency the number expected), and
-- payment_evidence() composes the whole evidence when a payment is read. Payments recorded before
-- this keep their whole evidence in `evidence`, which the composition lets win.
alter table payments add column number_state text;
alter table payments add column number_total_minor bigint;
alter table payments add column paid_before_minor bigint;

create function payment_evidence(p payments) returns jsonb
language sql stable parallel safe as $$
  select jsonb_build_object('network', p.network, 'source', p.source, 'transactionId', p.transaction_id,
                            'reference', p.reference, 'amountMinor', p.amount_minor::text,
                            'feeMinor', p.fee_minor::text,
                            'paidAt', to_char(p.paid_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                            'channel', p.channel)
         || case when p.number_state is null then '{}'::jsonb
                 else jsonb_build_object('numberState', p.number_state, 'totalMinor', p.number_total_minor::text,
                                         'paidBeforeMinor', p.paid_before_minor::text,
                                         'dueMinor', (p.number_total_minor - p.paid_before_minor)::text)
                      || case when p.outcome in ('short', 'over')
                              then jsonb_build_object('differenceMinor',
                                     (p.amount_minor - (p.number_total_minor - p.paid_before_minor))::text)
                              else '{}'::jsonb end
            end
         || p.evidence
$$;
