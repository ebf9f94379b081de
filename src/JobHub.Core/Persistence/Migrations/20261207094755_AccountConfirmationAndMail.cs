using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace JobHub.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AccountConfirmationAndMail : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "mail_failed_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "signup_granted_at",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            // Accounts made before confirmation existed got their grant at creation: they keep it and get no second one.
            migrationBuilder.Sql("UPDATE users SET signup_granted_at = created_at;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "mail_failed_at",
                table: "users");

            migrationBuilder.DropColumn(
                name: "signup_granted_at",
                table: "users");
        }
    }
}
