-- When a run's fleet snapshot and lookup fan-out were done: the snapshot stage ends and the lookup
-- stage begins. With created_at, fetched_at and reconciled_at, each stage's time is on the run.
-- Earlier runs did not record it and keep null.
alter table runs add column snapshotted_at timestamptz;
