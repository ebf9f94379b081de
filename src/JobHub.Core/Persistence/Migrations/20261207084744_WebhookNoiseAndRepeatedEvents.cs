using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace JobHub.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class WebhookNoiseAndRepeatedEvents : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "last_repeat_at",
                table: "job_events",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "repeats",
                table: "job_events",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "webhook_noise",
                columns: table => new
                {
                    reason = table.Column<string>(type: "text", nullable: false),
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    count = table.Column<long>(type: "bigint", nullable: false),
                    last_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("webhook_noise_pkey", x => new { x.reason, x.day });
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "webhook_noise");

            migrationBuilder.DropColumn(
                name: "last_repeat_at",
                table: "job_events");

            migrationBuilder.DropColumn(
                name: "repeats",
                table: "job_events");
        }
    }
}
