-- Retention of what grows with uploads and sign-in attacks rather than with nights, across every
-- account (the nightly maintenance is no tenant's): security definer, each function deleting one
-- narrowly defined kind of row and answering how many it deleted.

-- An upload's staged rows (one per vehicle listed) serve its preview and its apply; once it was
-- applied or refused they are read by nothing. Its report (upload_issues) and its refused rows'
-- errors file (upload_rejects) stay with the upload, as does the upload itself. A preview never
-- decided keeps its rows: it can still be applied.
create function prune_decided_upload_rows(before timestamptz)
returns bigint
language sql volatile security definer set search_path = public as $$
  with decided as (
    select u.account_id, u.id from uploads u
    where (u.status = 'applied' and u.applied_at < before)
       or (u.status = 'rejected' and u.created_at < before)
  ), deleted as (
    delete from upload_rows r using decided d
    where r.account_id = d.account_id and r.upload_id = d.id
    returning 1
  )
  select count(*) from deleted
$$;
revoke all on function prune_decided_upload_rows(timestamptz) from public;
grant execute on function prune_decided_upload_rows(timestamptz) to fleet_app;

-- Throttled sign-ins are audited in the platform's log (no account), once per throttle window and
-- key: under a sustained guessing attack that is a row a window for as long as it lasts. Only
-- these rows go; every other audit entry is kept.
create function prune_throttled_sign_ins(before timestamptz)
returns bigint
language sql volatile security definer set search_path = public as $$
  with deleted as (
    delete from audit_log
    where account_id is null and action = 'session.sign_in' and outcome = 'denied'
      and details ->> 'reason' = 'throttled' and at < before
    returning 1
  )
  select count(*) from deleted
$$;
revoke all on function prune_throttled_sign_ins(timestamptz) from public;
grant execute on function prune_throttled_sign_ins(timestamptz) to fleet_app;
