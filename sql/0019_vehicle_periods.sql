-- A vehicle's earlier periods in the fleet. Removal ends the vehicle's active period and a later
-- upload reopens it with a new active_from; the period it closed is kept here, so a fine from an
-- earlier membership is not taken for one from before the vehicle joined. Written by a trigger
-- that fires only for a reopened row, whatever statement reopens it.
create table vehicle_past_periods (
  account_id bigint not null,
  vehicle_id bigint not null,
  active_from timestamptz not null,
  active_until timestamptz not null,
  primary key (account_id, vehicle_id, active_from),
  foreign key (account_id, vehicle_id) references vehicles (account_id, id),
  check (active_until >= active_from)
);
alter table vehicle_past_periods enable row level security;
alter table vehicle_past_periods force row level security;
create policy vehicle_past_periods_tenant on vehicle_past_periods
  using (account_id = (select app_account_id())) with check (account_id = (select app_account_id()));
grant select, insert on vehicle_past_periods to fleet_app;

create function keep_vehicle_past_period() returns trigger
language plpgsql as $$
begin
  insert into vehicle_past_periods (account_id, vehicle_id, active_from, active_until)
  values (old.account_id, old.id, old.active_from, old.active_until)
  on conflict do nothing;
  return new;
end
$$;
create trigger vehicles_keep_past_period
  before update on vehicles
  for each row when (old.active_until is not null and new.active_until is null)
  execute function keep_vehicle_past_period();
