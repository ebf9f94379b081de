using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace JobHub.Core.Persistence.Migrations
{
    /// <summary>
    /// The number of queued jobs, kept by the database (issue 18): an admission's place in a queue of thousands is that
    /// number less the few queued after it, instead of a count of all the jobs ahead under the slot lock. Triggers keep it
    /// on every insert, status change and delete of a queued job, deferred to the commit so that it is locked last, after
    /// any job row (a promotion and a cancellation of the same job never wait on each other). Not in the EF model: only
    /// raw SQL reads it, and the invariant checker compares it with the jobs.
    /// </summary>
    [DbContext(typeof(JobHubDbContext))]
    [Migration("20261206090000_QueueCount")]
    public partial class QueueCount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE queue_count (
                    one boolean PRIMARY KEY DEFAULT true CONSTRAINT queue_count_one_row CHECK (one),
                    queued integer NOT NULL CONSTRAINT queue_count_not_negative CHECK (queued >= 0));
                INSERT INTO queue_count (queued) SELECT count(*) FROM jobs WHERE status = 'queued';

                CREATE FUNCTION jobs_count_queued() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE queue_count SET queued = queued
                        + CASE WHEN TG_OP <> 'DELETE' AND NEW.status = 'queued' THEN 1 ELSE 0 END
                        - CASE WHEN TG_OP <> 'INSERT' AND OLD.status = 'queued' THEN 1 ELSE 0 END;
                    RETURN NULL;
                END $$;

                CREATE CONSTRAINT TRIGGER jobs_queue_count_insert AFTER INSERT ON jobs DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW WHEN (NEW.status = 'queued') EXECUTE FUNCTION jobs_count_queued();
                CREATE CONSTRAINT TRIGGER jobs_queue_count_update AFTER UPDATE OF status ON jobs DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW WHEN ((OLD.status = 'queued') <> (NEW.status = 'queued')) EXECUTE FUNCTION jobs_count_queued();
                CREATE CONSTRAINT TRIGGER jobs_queue_count_delete AFTER DELETE ON jobs DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW WHEN (OLD.status = 'queued') EXECUTE FUNCTION jobs_count_queued();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER jobs_queue_count_insert ON jobs;
                DROP TRIGGER jobs_queue_count_update ON jobs;
                DROP TRIGGER jobs_queue_count_delete ON jobs;
                DROP FUNCTION jobs_count_queued();
                DROP TABLE queue_count;
                """);
        }
    }
}
