-- What a run's stored answers add up to, kept by the lookup batches as they store them, so the
-- reconciliation does not read the night's answers a second time for its unchanged totals. Exact
-- while every batch stored its rows plainly; a batch that folds a ticket another vehicle already
-- holds clears answers_counted, and the reconciliation then adds the stored answers up itself.
-- Runs from before this migration were not counted.
alter table runs
  add column answers_counted boolean not null default false,
  add column answers_stored integer not null default 0,
  add column answers_minor bigint not null default 0,
  add column answers_outstanding integer not null default 0,
  add column answers_outstanding_minor bigint not null default 0;
alter table runs alter column answers_counted set default true;
