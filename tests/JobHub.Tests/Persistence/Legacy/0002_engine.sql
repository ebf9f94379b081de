-- Engine additions: a submission sequence that orders the queue even when two jobs share a timestamp,
-- and a small key/value table for settings the instances must share (the generated webhook secret).

CREATE SEQUENCE jobs_queue_seq;
ALTER TABLE jobs ADD COLUMN queue_seq bigint;
DROP INDEX jobs_queue_order;
CREATE INDEX jobs_queue_order ON jobs (queued_at, queue_seq) WHERE status = 'queued';
CREATE INDEX jobs_running_started ON jobs (started_at) WHERE status = 'running';

CREATE TABLE app_settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
