using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace JobHub.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class UploadIds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "input",
                table: "uploads",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "tool_key",
                table: "uploads",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "input",
                table: "uploads");

            migrationBuilder.DropColumn(
                name: "tool_key",
                table: "uploads");
        }
    }
}
