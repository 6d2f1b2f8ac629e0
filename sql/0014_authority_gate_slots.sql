-- How many more requests an authority's gate may let start now: the window's free starts (a start
-- still in flight counts however long ago it was granted) or the free in-flight slots, whichever
-- is fewer. One ask of the gate takes up to this many at once for the requests waiting in line:
-- taken one per round trip, the round trip and not the authority's limit paced the requests
-- whenever the database was busy.
create function authority_gate_free_slots(g authority_gate, now_ms bigint) returns integer
  language sql stable
  as $$
    select least(
      g.max_requests
        - (select count(*) from unnest(g.recent_starts) s where s > now_ms - g.window_ms)
        - (select count(*) from jsonb_each(g.leases) l
           where l.value::bigint > now_ms and l.value::bigint - g.lease_ms <= now_ms - g.window_ms),
      g.max_in_flight - (select count(*) from jsonb_each(g.leases) l where l.value::bigint > now_ms)
    )::integer
  $$;

grant execute on function authority_gate_free_slots(authority_gate, bigint) to fleet_app;
