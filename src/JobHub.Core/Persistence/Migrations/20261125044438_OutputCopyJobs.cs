using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace JobHub.Core.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OutputCopyJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "output_copy_job_id",
                table: "jobs",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "output_copy_job_id",
                table: "jobs");
        }
    }
}
