-- A batch of admissions: one round trip, one commit.
SET LOCAL plan_cache_mode = force_generic_plan;
DO $$ BEGIN PERFORM pg_advisory_xact_lock(5363613744568095569); END $$;

-- each admission, with:
--   $1 max_concurrent
--   $2 user
--   $3 job
--   $4 tool
--   $5 parameters
--   $6 inputs
--   $7 webapp
--   $8 cost
--   $9 now
--   $10 cause
--   $11 queued_message
--   $12 starting_message
-- The slots as the admissions before this one left them (SlotAdmission.State): the jobs in a slot, the head of the
-- queue, and the least-loaded enabled account with room under its own limit.
WITH state AS (
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
),
-- The account the job starts on, or null when it queues (R1 all slots busy, R2 older jobs wait, R11 no account has room).
decision AS (
    SELECT CASE WHEN state.in_slot < $1 AND state.head_id IS NULL THEN state.account END AS account FROM state),
-- The balance, locked (none: no such user, or a deleted one: a deletion marks the row first, and is waited for).
balance AS (
    SELECT credit_balance FROM users WHERE id = $2 AND deleted_at IS NULL FOR UPDATE),
-- The job, started or queued, when the balance covers its cost (R4's partial unique index refuses a second active one).
job AS (
    INSERT INTO jobs (id, user_id, tool_key, status, parameters, inputs, webapp_id, credit_cost, waited_in_queue,
                      created_at, queued_at, queue_seq, starting_at, account_key, updated_at)
    SELECT $3, $2, $4, CASE WHEN decision.account IS NULL THEN 'queued' ELSE 'starting' END,
           $5::jsonb, $6::jsonb, $7, $8, decision.account IS NULL,
           $9, CASE WHEN decision.account IS NULL THEN $9 END, nextval('jobs_queue_seq'),
           CASE WHEN decision.account IS NULL THEN NULL ELSE $9 END, decision.account, $9
    FROM decision, balance WHERE balance.credit_balance >= $8
    RETURNING id, status, account_key, queued_at, queue_seq),
-- Its first event.
event AS (
    INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, message, data)
    SELECT job.id, $9, 'transition', NULL, job.status, $10,
           CASE WHEN job.account_key IS NULL THEN $11 ELSE $12 END,
           CASE WHEN job.account_key IS NULL THEN jsonb_build_object('cost', $8)
                ELSE jsonb_build_object('cost', $8, 'account', job.account_key) END
    FROM job),
-- The debit (R6): the ledger row when the job was created, then the balance.
debit AS (
    INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, actor, created_at)
    SELECT $2, $3, 'debit', -$8, balance.credit_balance - $8, NULL, NULL, $9 FROM balance, job
    WHERE balance.credit_balance >= $8
    RETURNING balance_after),
paid AS (
    UPDATE users SET credit_balance = debit.balance_after FROM debit WHERE users.id = $2 RETURNING users.id)
-- The job as inserted, and its place in the queue: the queued jobs (queue_count, kept by triggers) less those queued
-- after it, plus itself (its row is in neither until it commits).
SELECT job.queue_seq, job.status, job.account_key AS account,
       CASE WHEN job.status = 'queued' THEN
           (SELECT queued FROM queue_count)
           - (SELECT count(*) FROM jobs q WHERE q.status = 'queued' AND (q.queued_at, q.queue_seq) > (job.queued_at, job.queue_seq))::int + 1
       END AS position,
       EXISTS (SELECT 1 FROM paid) AS paid, balance.credit_balance AS balance
FROM (SELECT 1) AS one LEFT JOIN balance ON true LEFT JOIN job ON true;
