-- A promotion, in a transaction of its own after a batch of terminations freed a slot someone waits for.

-- the slot lock and the state
DO $$ BEGIN PERFORM pg_advisory_xact_lock(5363613744568095569); END $$;
SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')) AS in_slot,
       head.id AS head_id, head.user_id AS head_user_id, head.next_attempt_at AS head_not_before,
       head.tool_key AS head_tool_key, head.queued_at AS head_queued_at,
       (SELECT a.account_key
        FROM runninghub_accounts a
        LEFT JOIN (SELECT account_key, count(*) AS n FROM jobs WHERE status IN ('starting', 'running') GROUP BY account_key) load
            ON load.account_key = a.account_key
        WHERE a.enabled AND coalesce(load.n, 0) < a.max_concurrent
        ORDER BY coalesce(load.n, 0)::float8 / a.max_concurrent, a.account_key
        LIMIT 1) AS account
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (SELECT id, user_id, next_attempt_at, tool_key, queued_at FROM jobs WHERE status = 'queued' ORDER BY queued_at, queue_seq LIMIT 1) head ON true

-- each job promoted, then the state read again, with:
--   $1 now
--   $2 account
--   $3 job
--   $4 channel
--   $5 notice
--   $6 cause
--   $7 message
--   $8 data
-- The job starts on the account, only if it is still queued; every instance is told once the promotion commits.
WITH changed AS (
    UPDATE jobs SET status = 'starting', starting_at = $1, account_key = $2, next_attempt_at = NULL, updated_at = $1
    WHERE id = $3 AND status = 'queued'
    RETURNING id, pg_notify($4, $5))
-- Its event.
INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
SELECT changed.id, $1, 'transition', 'queued', 'starting', $6, NULL, $7, $8::jsonb
FROM changed;
