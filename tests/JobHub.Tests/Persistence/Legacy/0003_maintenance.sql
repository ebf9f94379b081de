-- Webhooks, reconciliation and maintenance: output copies (RunningHub's URLs expire after 24 h), file
-- retention, and the indexes the sweeps and the dashboard read by.

ALTER TABLE jobs ADD COLUMN outputs_copied_at timestamptz;
ALTER TABLE jobs ADD COLUMN output_copy_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN output_copy_error text;
ALTER TABLE jobs ADD COLUMN files_deleted_at timestamptz;

-- Completed jobs whose outputs are not yet in JobHub's storage.
CREATE INDEX jobs_outputs_pending ON jobs (completed_at) WHERE status = 'completed' AND outputs_copied_at IS NULL;
-- Terminal jobs whose files retention has not yet removed.
CREATE INDEX jobs_files_kept ON jobs (completed_at) WHERE files_deleted_at IS NULL AND status IN ('completed', 'failed', 'cancelled');
CREATE INDEX jobs_starting ON jobs (starting_at) WHERE status = 'starting';

CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
CREATE INDEX maintenance_runs_started ON maintenance_runs (started_at);
