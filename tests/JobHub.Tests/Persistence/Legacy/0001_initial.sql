-- JobHub initial schema. Applied once by the migrator; never edit after it has shipped.
-- The constraints here carry the product rules (SPEC.md): R4 (one active job per user) is the
-- partial unique index on jobs; R6 (credits exactly once, never negative) is the ledger's unique
-- (job_id, kind) key plus the non-negative balance check.

CREATE TABLE users (
    id                  uuid PRIMARY KEY,
    email               text NOT NULL,
    normalized_email    text NOT NULL,
    user_name           text NOT NULL,
    normalized_user_name text NOT NULL,
    password_hash       text,
    security_stamp      text NOT NULL,
    concurrency_stamp   text NOT NULL,
    lockout_enabled     boolean NOT NULL DEFAULT true,
    lockout_end         timestamptz,
    access_failed_count integer NOT NULL DEFAULT 0,
    culture             text NOT NULL DEFAULT 'pt-BR',
    credit_balance      integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_credit_balance_non_negative CHECK (credit_balance >= 0)
);
CREATE UNIQUE INDEX users_normalized_email_key ON users (normalized_email);
CREATE UNIQUE INDEX users_normalized_user_name_key ON users (normalized_user_name);

CREATE TABLE roles (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    normalized_name text NOT NULL UNIQUE
);

CREATE TABLE user_roles (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);

INSERT INTO roles (id, name, normalized_name) VALUES
    ('00000000-0000-0000-0000-0000000000a1', 'admin', 'ADMIN'),
    ('00000000-0000-0000-0000-0000000000a2', 'user', 'USER');

CREATE TABLE runninghub_accounts (
    account_key      text PRIMARY KEY,
    max_concurrent   integer NOT NULL CHECK (max_concurrent > 0),
    enabled          boolean NOT NULL DEFAULT true,
    last_status      jsonb,
    last_checked_at  timestamptz,
    last_error       text,
    last_error_at    timestamptz
);

CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id),
    tool_key         text NOT NULL,
    status           text NOT NULL,
    parameters       jsonb NOT NULL DEFAULT '{}'::jsonb,
    inputs           jsonb NOT NULL DEFAULT '[]'::jsonb,
    webapp_id        text,
    credit_cost      integer NOT NULL CHECK (credit_cost >= 0),
    waited_in_queue  boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    queued_at        timestamptz,
    -- next_attempt_at: after a capacity error the job waits at the head of the queue until then.
    next_attempt_at  timestamptz,
    launch_attempts  integer NOT NULL DEFAULT 0,
    starting_at      timestamptz,
    started_at       timestamptz,
    completed_at     timestamptz,
    account_key      text REFERENCES runninghub_accounts (account_key),
    task_id          text,
    outputs          jsonb NOT NULL DEFAULT '[]'::jsonb,
    usage            jsonb,
    cost_money       numeric(12, 4),
    cost_estimated   boolean NOT NULL DEFAULT false,
    error_code       text,
    error_message    text,
    provider_code    text,
    provider_message text,
    failed_reason    jsonb,
    last_checked_at  timestamptz,
    last_heartbeat_at timestamptz,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT jobs_status_valid CHECK (status IN ('queued', 'starting', 'running', 'completed', 'failed', 'cancelled')),
    CONSTRAINT jobs_terminal_has_completed_at CHECK (status NOT IN ('completed', 'failed', 'cancelled') OR completed_at IS NOT NULL),
    CONSTRAINT jobs_running_has_task CHECK (status <> 'running' OR task_id IS NOT NULL)
);
-- R4: at most one active job per user, enforced by the database, not by a pre-check.
CREATE UNIQUE INDEX jobs_one_active_per_user ON jobs (user_id) WHERE status IN ('queued', 'starting', 'running');
CREATE INDEX jobs_queue_order ON jobs (queued_at, id) WHERE status = 'queued';
CREATE INDEX jobs_active ON jobs (status, account_key) WHERE status IN ('starting', 'running');
CREATE INDEX jobs_user_created ON jobs (user_id, created_at DESC);
CREATE INDEX jobs_created ON jobs (created_at DESC);
CREATE UNIQUE INDEX jobs_task_id_key ON jobs (task_id) WHERE task_id IS NOT NULL;

CREATE TABLE job_events (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    kind        text NOT NULL,
    from_status text,
    to_status   text,
    cause       text NOT NULL,
    actor       text,
    message     text,
    data        jsonb,
    CONSTRAINT job_events_cause_valid CHECK (cause IN ('user', 'webhook', 'reconcile', 'sweep', 'admin', 'system'))
);
CREATE INDEX job_events_job ON job_events (job_id, id);
CREATE INDEX job_events_transitions ON job_events (at, id) WHERE kind = 'transition';

CREATE TABLE credit_ledger (
    id            bigserial PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    job_id        uuid REFERENCES jobs (id),
    kind          text NOT NULL,
    amount        integer NOT NULL,
    balance_after integer NOT NULL,
    reason        text,
    actor         text,
    created_at    timestamptz NOT NULL,
    CONSTRAINT credit_ledger_kind_valid CHECK (kind IN ('grant', 'debit', 'refund', 'adjustment')),
    CONSTRAINT credit_ledger_balance_non_negative CHECK (balance_after >= 0),
    CONSTRAINT credit_ledger_sign CHECK (
        (kind = 'debit' AND amount <= 0) OR (kind IN ('grant', 'refund') AND amount >= 0) OR kind = 'adjustment'),
    CONSTRAINT credit_ledger_job_kinds CHECK (kind NOT IN ('debit', 'refund') OR job_id IS NOT NULL)
);
-- R6: one debit and at most one refund per job.
CREATE UNIQUE INDEX credit_ledger_job_kind_key ON credit_ledger (job_id, kind) WHERE job_id IS NOT NULL;
CREATE INDEX credit_ledger_user ON credit_ledger (user_id, id);

-- The ledger is append-only.
CREATE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'credit_ledger is append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE OR DELETE ON credit_ledger
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();

CREATE TABLE webhook_deliveries (
    id          bigserial PRIMARY KEY,
    job_id      uuid,
    received_at timestamptz NOT NULL,
    http_status integer NOT NULL,
    outcome     text NOT NULL,
    task_id     text,
    headers     jsonb,
    body        text
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);

CREATE TABLE maintenance_tasks (
    task_key   text PRIMARY KEY,
    paused     boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text
);

CREATE TABLE maintenance_runs (
    id          bigserial PRIMARY KEY,
    task_key    text NOT NULL,
    trigger     text NOT NULL,
    instance    text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    outcome     text NOT NULL DEFAULT 'running',
    counts      jsonb,
    error       text,
    CONSTRAINT maintenance_runs_outcome_valid CHECK (outcome IN ('running', 'succeeded', 'failed', 'skipped'))
);
CREATE INDEX maintenance_runs_task ON maintenance_runs (task_key, id DESC);

CREATE TABLE admin_actions (
    id         bigserial PRIMARY KEY,
    admin_id   uuid REFERENCES users (id),
    at         timestamptz NOT NULL,
    action     text NOT NULL,
    target     text,
    reason     text NOT NULL,
    data       jsonb
);
CREATE INDEX admin_actions_at ON admin_actions (at DESC);
