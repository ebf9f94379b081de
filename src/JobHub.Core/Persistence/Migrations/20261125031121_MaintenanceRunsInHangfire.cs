using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace JobHub.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MaintenanceRunsInHangfire : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "maintenance_runs");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "maintenance_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.SerialColumn),
                    counts = table.Column<string>(type: "jsonb", nullable: true),
                    error = table.Column<string>(type: "text", nullable: true),
                    finished_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    instance = table.Column<string>(type: "text", nullable: false),
                    outcome = table.Column<string>(type: "text", nullable: false, defaultValueSql: "'running'::text"),
                    started_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    task_key = table.Column<string>(type: "text", nullable: false),
                    trigger = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("maintenance_runs_pkey", x => x.id);
                    table.CheckConstraint("maintenance_runs_outcome_valid", "outcome IN ('running', 'succeeded', 'failed', 'skipped')");
                });

            migrationBuilder.CreateIndex(
                name: "maintenance_runs_started",
                table: "maintenance_runs",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "maintenance_runs_task",
                table: "maintenance_runs",
                columns: new[] { "task_key", "id" },
                descending: new[] { false, true });
        }
    }
}
