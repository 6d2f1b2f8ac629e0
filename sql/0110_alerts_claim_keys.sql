-- The outbox's claim crosses tenants (one worker serves every account), so it is a security-definer
-- function any application login may call. It now hands out only which digests were claimed; their
-- content (destination, events, a webhook's signing secret) is read inside each account's own walled
-- transaction, and outcomes are recorded there too, so nothing of one tenant passes another's wall.
drop function claim_alert_digests(bigint, timestamptz, interval, integer);
drop function complete_alert_digests(timestamptz, jsonb);

create function claim_alert_digests(p_account_id bigint, p_now timestamptz, p_lease interval, p_limit integer)
returns table (account_id bigint, id bigint, attempts integer)
language sql security definer set search_path = public as $$
  with due as (
    select d.account_id, d.id from alert_digests d
    where (p_account_id is null or d.account_id = p_account_id)
      and ((d.status = 'pending' and d.next_attempt_at <= p_now)
           or (d.status = 'sending' and d.lease_until < p_now))
    order by d.next_attempt_at, d.account_id, d.id
    limit p_limit
    for update skip locked
  )
  update alert_digests d set status = 'sending', lease_until = p_now + p_lease, attempts = d.attempts + 1
  from due where d.account_id = due.account_id and d.id = due.id
  returning d.account_id, d.id, d.attempts
$$;
revoke all on function claim_alert_digests(bigint, timestamptz, interval, integer) from public;
grant execute on function claim_alert_digests(bigint, timestamptz, interval, integer) to fleet_app;

-- Identity columns need no rights on their sequences: the application keeps only the one sequence
-- it calls itself (payment-order references), not every sequence of the schema (runs' ids among them).
revoke usage on all sequences in schema public from fleet_app;
grant usage on sequence payment_order_seq to fleet_app;
