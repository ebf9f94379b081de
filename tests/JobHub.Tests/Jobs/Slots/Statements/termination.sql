-- A batch of terminations (webhook verdicts included): one round trip, one commit.
DO $$ BEGIN PERFORM pg_advisory_xact_lock_shared(5363613744568095569); END $$;

-- each termination, in the order of the jobs' ids, with:
--   $1 job
--   $2 owner
--   $3 allowed_from
--   $4 task
--   $5 to
--   $6 outputs
--   $7 usage
--   $8 error_code
--   $9 error_message
--   $10 provider_code
--   $11 provider_message
--   $12 failed_reason
--   $13 money
--   $14 now
--   $15 rates
--   $16 cause
--   $17 actor
--   $18 message
--   $19 data
--   $20 refused
--   $21 headers
--   $22 body
-- Lock the job's row (none: no such job, or not this owner's); a change committed meanwhile is waited for and seen.
WITH old AS (
    SELECT id, user_id, status, task_id, account_key, started_at, tool_key, created_at FROM jobs
    WHERE id = $1 AND ($2::uuid IS NULL OR user_id = $2)
    FOR UPDATE),
-- The job when this change applies to it: in a state the change accepts, and running the verdict's task if one is named.
target AS (
    SELECT * FROM old WHERE status = ANY($3) AND ($4::text IS NULL OR task_id = $4)),
-- The change: what a completion or an end keeps, the cost (R10: RunningHub's figure, else run time × the tool's rate).
changed AS (
    UPDATE jobs SET status = $5,
        outputs = CASE WHEN $5 = 'completed' THEN $6::jsonb ELSE jobs.outputs END,
        usage = CASE WHEN $5 = 'completed' THEN $7::jsonb ELSE coalesce($7::jsonb, jobs.usage) END,
        error_code = CASE WHEN $5 = 'completed' THEN jobs.error_code ELSE $8 END,
        error_message = CASE WHEN $5 = 'completed' THEN jobs.error_message ELSE $9 END,
        provider_code = CASE WHEN $5 = 'completed' THEN jobs.provider_code ELSE $10 END,
        provider_message = CASE WHEN $5 = 'completed' THEN jobs.provider_message ELSE $11 END,
        failed_reason = CASE WHEN $5 = 'completed' THEN jobs.failed_reason ELSE $12::jsonb END,
        cost_money = coalesce($13::numeric, CASE WHEN target.started_at IS NULL THEN 0 ELSE
            round(greatest(0, extract(epoch FROM $14::timestamptz - target.started_at))
                  * coalesce(($15::jsonb ->> target.tool_key)::numeric, 0), 4) END),
        cost_estimated = $13::numeric IS NULL, completed_at = $14, updated_at = $14
    FROM target WHERE jobs.id = target.id
    RETURNING target.user_id, target.status AS left_status),
-- Its event; or, when the job is in a state this change does not accept, the attempt recorded as ignored.
event AS (
    INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
    SELECT $1, $14, 'transition', left_status, $5, $16, $17, $18, $19::jsonb
    FROM changed
    UNION ALL
    SELECT $1, $14, 'ignored', status, $5, $16, NULL,
           replace(replace($20, '{0}', $5::text), '{1}', status), NULL
    FROM old WHERE status <> ALL($3) AND ($4::text IS NULL OR task_id = $4)),
-- The refund (R6) of a job failed or cancelled now: lock the balance, append the refund (the ledger's unique
-- (job, kind) key refuses a second one), update the balance.
balance AS (
    SELECT id, credit_balance FROM users WHERE id = (SELECT user_id FROM changed) AND $5 <> 'completed' FOR UPDATE),
debit AS (SELECT -amount AS amount FROM credit_ledger WHERE job_id = $1 AND kind = 'debit'),
refund AS (
    INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, created_at)
    SELECT balance.id, $1, 'refund', debit.amount, balance.credit_balance + debit.amount, 'job ' || $5, $14 FROM balance, debit
    ON CONFLICT (job_id, kind) WHERE job_id IS NOT NULL DO NOTHING
    RETURNING user_id, balance_after),
refunded AS (
    UPDATE users SET credit_balance = refund.balance_after FROM refund WHERE users.id = refund.user_id RETURNING users.id),
-- A webhook's verdict (only with a delivery, @body): what the delivery did, as the endpoint answers it.
verdict AS (
    SELECT CASE WHEN old.id IS NULL THEN 'unknown_job'
                WHEN old.task_id IS NULL THEN 'not_started'
                WHEN old.task_id <> $4 THEN 'task_mismatch'
                WHEN changed.left_status IS NOT NULL THEN 'finished'
                ELSE 'duplicate' END AS outcome
    FROM (SELECT 1) AS one LEFT JOIN old ON true LEFT JOIN changed ON true),
-- Its record, in the same commit as the verdict (a delivery for no job is only counted, WebhookNoise).
delivery AS (
    INSERT INTO webhook_deliveries (job_id, received_at, http_status, outcome, task_id, headers, body)
    SELECT $1, $14, CASE verdict.outcome WHEN 'not_started' THEN 409 WHEN 'task_mismatch' THEN 400 ELSE 200 END,
           verdict.outcome, $4, $21::jsonb, $22
    FROM verdict WHERE $22::text IS NOT NULL AND verdict.outcome <> 'unknown_job')
-- The job as locked (nulls when there is none), the status it left when changed now, the refund, the delivery's outcome,
-- and what the job's metrics read (its tool and times).
SELECT old.user_id, old.status, old.task_id, old.account_key, changed.left_status, EXISTS (SELECT 1 FROM refunded) AS refunded,
       CASE WHEN $22::text IS NOT NULL THEN (SELECT outcome FROM verdict) END AS outcome,
       old.tool_key, old.created_at, old.started_at
FROM (SELECT 1) AS one LEFT JOIN old ON true LEFT JOIN changed ON true;

-- once, last, with:
--   $1 max_concurrent
SELECT coalesce((SELECT queued FROM queue_count), 0) > 0
       AND (SELECT count(*) FROM (SELECT 1 FROM jobs WHERE status IN ('starting', 'running') LIMIT $1) AS slot) < $1;
