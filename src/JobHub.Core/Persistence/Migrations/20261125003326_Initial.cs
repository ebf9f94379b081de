using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace JobHub.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateSequence(
                name: "jobs_queue_seq");

            migrationBuilder.CreateTable(
                name: "app_settings",
                columns: table => new
                {
                    key = table.Column<string>(type: "text", nullable: false),
                    value = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("app_settings_pkey", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    friendly_name = table.Column<string>(type: "text", nullable: false),
                    xml = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("data_protection_keys_pkey", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "maintenance_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    task_key = table.Column<string>(type: "text", nullable: false),
                    trigger = table.Column<string>(type: "text", nullable: false),
                    instance = table.Column<string>(type: "text", nullable: false),
                    started_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    outcome = table.Column<string>(type: "text", nullable: false, defaultValueSql: "'running'::text"),
                    counts = table.Column<string>(type: "jsonb", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("maintenance_runs_pkey", x => x.id);
                    table.CheckConstraint("maintenance_runs_outcome_valid", "outcome IN ('running', 'succeeded', 'failed', 'skipped')");
                });

            migrationBuilder.CreateTable(
                name: "maintenance_tasks",
                columns: table => new
                {
                    task_key = table.Column<string>(type: "text", nullable: false),
                    paused = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()"),
                    updated_by = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("maintenance_tasks_pkey", x => x.task_key);
                });

            migrationBuilder.CreateTable(
                name: "roles",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    normalized_name = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("roles_pkey", x => x.id);
                    table.UniqueConstraint("roles_normalized_name_key", x => x.normalized_name);
                });

            migrationBuilder.CreateTable(
                name: "runninghub_accounts",
                columns: table => new
                {
                    account_key = table.Column<string>(type: "text", nullable: false),
                    max_concurrent = table.Column<int>(type: "integer", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false, defaultValue: true),
                    last_status = table.Column<string>(type: "jsonb", nullable: true),
                    last_checked_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    last_error_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("runninghub_accounts_pkey", x => x.account_key);
                    table.CheckConstraint("runninghub_accounts_max_concurrent_check", "max_concurrent > 0");
                });

            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    email = table.Column<string>(type: "text", nullable: false),
                    normalized_email = table.Column<string>(type: "text", nullable: false),
                    user_name = table.Column<string>(type: "text", nullable: false),
                    normalized_user_name = table.Column<string>(type: "text", nullable: false),
                    password_hash = table.Column<string>(type: "text", nullable: true),
                    security_stamp = table.Column<string>(type: "text", nullable: false),
                    concurrency_stamp = table.Column<string>(type: "text", nullable: false),
                    lockout_enabled = table.Column<bool>(type: "boolean", nullable: false, defaultValue: true),
                    lockout_end = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    access_failed_count = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    culture = table.Column<string>(type: "text", nullable: false, defaultValueSql: "'pt-BR'::text"),
                    credit_balance = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false, defaultValueSql: "now()")
                },
                constraints: table =>
                {
                    table.PrimaryKey("users_pkey", x => x.id);
                    table.CheckConstraint("users_credit_balance_non_negative", "credit_balance >= 0");
                });

            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    job_id = table.Column<Guid>(type: "uuid", nullable: true),
                    received_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    http_status = table.Column<int>(type: "integer", nullable: false),
                    outcome = table.Column<string>(type: "text", nullable: false),
                    task_id = table.Column<string>(type: "text", nullable: true),
                    headers = table.Column<string>(type: "jsonb", nullable: true),
                    body = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("webhook_deliveries_pkey", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "admin_actions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    admin_id = table.Column<Guid>(type: "uuid", nullable: true),
                    at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    action = table.Column<string>(type: "text", nullable: false),
                    target = table.Column<string>(type: "text", nullable: true),
                    reason = table.Column<string>(type: "text", nullable: false),
                    data = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("admin_actions_pkey", x => x.id);
                    table.ForeignKey(
                        name: "admin_actions_admin_id_fkey",
                        column: x => x.admin_id,
                        principalTable: "users",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "jobs",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tool_key = table.Column<string>(type: "text", nullable: false),
                    status = table.Column<string>(type: "text", nullable: false),
                    parameters = table.Column<string>(type: "jsonb", nullable: false, defaultValueSql: "'{}'::jsonb"),
                    inputs = table.Column<string>(type: "jsonb", nullable: false, defaultValueSql: "'[]'::jsonb"),
                    webapp_id = table.Column<string>(type: "text", nullable: true),
                    credit_cost = table.Column<int>(type: "integer", nullable: false),
                    waited_in_queue = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    queued_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    queue_seq = table.Column<long>(type: "bigint", nullable: true),
                    next_attempt_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    launch_attempts = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    starting_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    account_key = table.Column<string>(type: "text", nullable: true),
                    task_id = table.Column<string>(type: "text", nullable: true),
                    outputs = table.Column<string>(type: "jsonb", nullable: false, defaultValueSql: "'[]'::jsonb"),
                    usage = table.Column<string>(type: "jsonb", nullable: true),
                    cost_money = table.Column<decimal>(type: "numeric(12,4)", nullable: true),
                    cost_estimated = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    error_code = table.Column<string>(type: "text", nullable: true),
                    error_message = table.Column<string>(type: "text", nullable: true),
                    provider_code = table.Column<string>(type: "text", nullable: true),
                    provider_message = table.Column<string>(type: "text", nullable: true),
                    failed_reason = table.Column<string>(type: "jsonb", nullable: true),
                    last_checked_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    last_heartbeat_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    outputs_copied_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    output_copy_attempts = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    output_copy_error = table.Column<string>(type: "text", nullable: true),
                    files_deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("jobs_pkey", x => x.id);
                    table.CheckConstraint("jobs_credit_cost_check", "credit_cost >= 0");
                    table.CheckConstraint("jobs_running_has_task", "status <> 'running' OR task_id IS NOT NULL");
                    table.CheckConstraint("jobs_status_valid", "status IN ('queued', 'starting', 'running', 'completed', 'failed', 'cancelled')");
                    table.CheckConstraint("jobs_terminal_has_completed_at", "status NOT IN ('completed', 'failed', 'cancelled') OR completed_at IS NOT NULL");
                    table.ForeignKey(
                        name: "jobs_account_key_fkey",
                        column: x => x.account_key,
                        principalTable: "runninghub_accounts",
                        principalColumn: "account_key");
                    table.ForeignKey(
                        name: "jobs_user_id_fkey",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "user_roles",
                columns: table => new
                {
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    role_id = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("user_roles_pkey", x => new { x.user_id, x.role_id });
                    table.ForeignKey(
                        name: "user_roles_role_id_fkey",
                        column: x => x.role_id,
                        principalTable: "roles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "user_roles_user_id_fkey",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "credit_ledger",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    user_id = table.Column<Guid>(type: "uuid", nullable: false),
                    job_id = table.Column<Guid>(type: "uuid", nullable: true),
                    kind = table.Column<string>(type: "text", nullable: false),
                    amount = table.Column<int>(type: "integer", nullable: false),
                    balance_after = table.Column<int>(type: "integer", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: true),
                    actor = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("credit_ledger_pkey", x => x.id);
                    table.CheckConstraint("credit_ledger_balance_non_negative", "balance_after >= 0");
                    table.CheckConstraint("credit_ledger_job_kinds", "kind NOT IN ('debit', 'refund') OR job_id IS NOT NULL");
                    table.CheckConstraint("credit_ledger_kind_valid", "kind IN ('grant', 'debit', 'refund', 'adjustment')");
                    table.CheckConstraint("credit_ledger_sign", "(kind = 'debit' AND amount <= 0) OR (kind IN ('grant', 'refund') AND amount >= 0) OR kind = 'adjustment'");
                    table.ForeignKey(
                        name: "credit_ledger_job_id_fkey",
                        column: x => x.job_id,
                        principalTable: "jobs",
                        principalColumn: "id");
                    table.ForeignKey(
                        name: "credit_ledger_user_id_fkey",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id");
                });

            migrationBuilder.CreateTable(
                name: "job_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    from_status = table.Column<string>(type: "text", nullable: true),
                    to_status = table.Column<string>(type: "text", nullable: true),
                    cause = table.Column<string>(type: "text", nullable: false),
                    actor = table.Column<string>(type: "text", nullable: true),
                    message = table.Column<string>(type: "text", nullable: true),
                    data = table.Column<string>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("job_events_pkey", x => x.id);
                    table.CheckConstraint("job_events_cause_valid", "cause IN ('user', 'webhook', 'reconcile', 'sweep', 'admin', 'system')");
                    table.ForeignKey(
                        name: "job_events_job_id_fkey",
                        column: x => x.job_id,
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "roles",
                columns: new[] { "id", "name", "normalized_name" },
                values: new object[,]
                {
                    { new Guid("00000000-0000-0000-0000-0000000000a1"), "admin", "ADMIN" },
                    { new Guid("00000000-0000-0000-0000-0000000000a2"), "user", "USER" }
                });

            migrationBuilder.CreateIndex(
                name: "admin_actions_at",
                table: "admin_actions",
                column: "at",
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "credit_ledger_job_kind_key",
                table: "credit_ledger",
                columns: new[] { "job_id", "kind" },
                unique: true,
                filter: "job_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "credit_ledger_user",
                table: "credit_ledger",
                columns: new[] { "user_id", "id" });

            migrationBuilder.CreateIndex(
                name: "job_events_job",
                table: "job_events",
                columns: new[] { "job_id", "id" });

            migrationBuilder.CreateIndex(
                name: "job_events_transitions",
                table: "job_events",
                columns: new[] { "at", "id" },
                filter: "kind = 'transition'");

            migrationBuilder.CreateIndex(
                name: "jobs_active",
                table: "jobs",
                columns: new[] { "status", "account_key" },
                filter: "status IN ('starting', 'running')");

            migrationBuilder.CreateIndex(
                name: "jobs_created",
                table: "jobs",
                column: "created_at",
                descending: new bool[0]);

            migrationBuilder.CreateIndex(
                name: "jobs_files_kept",
                table: "jobs",
                column: "completed_at",
                filter: "files_deleted_at IS NULL AND status IN ('completed', 'failed', 'cancelled')");

            migrationBuilder.CreateIndex(
                name: "jobs_one_active_per_user",
                table: "jobs",
                column: "user_id",
                unique: true,
                filter: "status IN ('queued', 'starting', 'running')");

            migrationBuilder.CreateIndex(
                name: "jobs_outputs_pending",
                table: "jobs",
                column: "completed_at",
                filter: "status = 'completed' AND outputs_copied_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "jobs_queue_order",
                table: "jobs",
                columns: new[] { "queued_at", "queue_seq" },
                filter: "status = 'queued'");

            migrationBuilder.CreateIndex(
                name: "jobs_running_started",
                table: "jobs",
                column: "started_at",
                filter: "status = 'running'");

            migrationBuilder.CreateIndex(
                name: "jobs_starting",
                table: "jobs",
                column: "starting_at",
                filter: "status = 'starting'");

            migrationBuilder.CreateIndex(
                name: "jobs_task_id_key",
                table: "jobs",
                column: "task_id",
                unique: true,
                filter: "task_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "jobs_user_created",
                table: "jobs",
                columns: new[] { "user_id", "created_at" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "maintenance_runs_started",
                table: "maintenance_runs",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "maintenance_runs_task",
                table: "maintenance_runs",
                columns: new[] { "task_key", "id" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "users_normalized_email_key",
                table: "users",
                column: "normalized_email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "users_normalized_user_name_key",
                table: "users",
                column: "normalized_user_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "webhook_deliveries_job",
                table: "webhook_deliveries",
                columns: new[] { "job_id", "id" });

            migrationBuilder.CreateIndex(
                name: "webhook_deliveries_received",
                table: "webhook_deliveries",
                column: "received_at");

            // R6: the ledger is append-only (a trigger is not part of an EF model).
            migrationBuilder.Sql("""
                CREATE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'credit_ledger is append-only' USING ERRCODE = 'restrict_violation';
                END $$;
                CREATE TRIGGER credit_ledger_no_update BEFORE UPDATE OR DELETE ON credit_ledger
                    FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER credit_ledger_no_update ON credit_ledger; DROP FUNCTION credit_ledger_append_only();");

            migrationBuilder.DropTable(
                name: "admin_actions");

            migrationBuilder.DropTable(
                name: "app_settings");

            migrationBuilder.DropTable(
                name: "credit_ledger");

            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "job_events");

            migrationBuilder.DropTable(
                name: "maintenance_runs");

            migrationBuilder.DropTable(
                name: "maintenance_tasks");

            migrationBuilder.DropTable(
                name: "user_roles");

            migrationBuilder.DropTable(
                name: "webhook_deliveries");

            migrationBuilder.DropTable(
                name: "jobs");

            migrationBuilder.DropTable(
                name: "roles");

            migrationBuilder.DropTable(
                name: "runninghub_accounts");

            migrationBuilder.DropTable(
                name: "users");

            migrationBuilder.DropSequence(
                name: "jobs_queue_seq");
        }
    }
}
