-- Invitations are consent: nobody becomes a member of an account, or gets a password, because
-- someone else typed their email.
--
-- An invitation is a pending membership: the membership row is written only when the person
-- accepts. `sets_password` marks the one kind of invitation whose link may choose a password: one
-- made by the add that created the person's user row (a person new to the platform). Any other
-- invitation is confirmed by the person after signing in. Accepting one invitation with a password
-- ends the person's others (they were made while nobody had proved who holds the email).

alter table users add column invited_to_account_id bigint references accounts (id);
comment on column users.invited_to_account_id is
  'the account whose invitation created this user row; only its invitations may set the first password';

alter table invitations
  add column sets_password boolean not null default false,
  add column status text not null default 'pending'
    check (status in ('pending', 'accepted', 'declined', 'revoked', 'superseded', 'expired')),
  add column decided_at timestamptz;

update invitations set status = 'accepted', decided_at = accepted_at where accepted_at is not null;

-- Earlier invitations: the account whose invitation created a still-pending person keeps the right
-- to set their first password; nobody else's invitation does.
update users u set invited_to_account_id = first.account_id
from (select distinct on (user_id) user_id, account_id from invitations order by user_id, created_at, id) first
where first.user_id = u.id and u.status = 'invited' and u.password_hash is null;
update invitations i set sets_password = true
from users u
where u.id = i.user_id and i.status = 'pending' and u.status = 'invited' and u.password_hash is null
  and i.account_id = u.invited_to_account_id;

-- Memberships of people who never accepted were made without their consent; their pending
-- invitation stands for them now and becomes the membership when they accept.
delete from memberships m using users u
where u.id = m.user_id and u.status = 'invited'
  and exists (select 1 from invitations i
              where i.account_id = m.account_id and i.user_id = m.user_id and i.status = 'pending');

update invitations i set status = 'superseded', decided_at = now()
where i.status = 'pending'
  and exists (select 1 from invitations j where j.account_id = i.account_id and j.user_id = i.user_id
                and j.status = 'pending' and j.id > i.id);
create unique index invitations_one_pending on invitations (account_id, user_id) where status = 'pending';
create index invitations_invitee on invitations (user_id) where status = 'pending';

drop function find_invitation(text);
alter table invitations drop column accepted_at;
create function find_invitation(p_token_hash text)
returns table (account_id bigint, id bigint, user_id bigint, role text, expires_at timestamptz,
               status text, sets_password boolean)
language sql stable security definer set search_path = public as $$
  select i.account_id, i.id, i.user_id, i.role, i.expires_at, i.status, i.sets_password
  from invitations i where i.token_hash = p_token_hash
$$;
revoke all on function find_invitation(text) from public;
grant execute on function find_invitation(text) to fleet_app;

-- The invitee sees and decides their own invitations, and the accounts that sent them.
create policy invitations_invitee on invitations
  using (user_id = app_user_id())
  with check (user_id = app_user_id());
create policy accounts_invitee on accounts for select
  using (exists (select 1 from invitations i
                 where i.account_id = accounts.id and i.user_id = app_user_id() and i.status = 'pending'));
