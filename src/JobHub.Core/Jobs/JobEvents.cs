using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs;

/// <summary>
/// The job's event log, and the NOTIFY that tells every instance a job changed. Both are written in the
/// statement or transaction that made the change, so a rolled-back change leaves neither; the admission's and the end's
/// NOTIFY follow their commit instead (<see cref="JobChangeFeed"/>).
/// </summary>
public static class JobEvents
{
    public const string Channel = "jobhub_jobs";

    public const string Transition = "transition";
    public const string Ignored = "ignored";

    /// <summary>A late or repeated event that changed nothing: only recorded.</summary>
    public static Task IgnoredAsync(JobHubDbContext db, Guid jobId, string currentStatus, string attempted,
        DateTime at, string cause, string? message = null, object? data = null) =>
        WriteAsync(db, jobId, Ignored, currentStatus, attempted, at, cause, null, message, data);

    /// <summary>Something that happened to a job without a status change (a reconciliation's check): only recorded.</summary>
    public static Task NoteAsync(JobHubDbContext db, Job job, string kind, DateTime at, string cause,
        string? message = null, object? data = null, string? actor = null) =>
        WriteAsync(db, job.Id, kind, job.Status, null, at, cause, actor, message, data);

    /// <summary>
    /// As <see cref="NoteAsync"/>, unless the job's last event is this same note (kind, message, data, actor): then that event
    /// counts one more repeat instead, so that checks whose answer changed nothing do not grow the log without limit.
    /// </summary>
    public static async Task NoteOrRepeatAsync(JobHubDbContext db, Job job, string kind, DateTime at, string cause,
        string? message = null, object? data = null, string? actor = null)
    {
        var text = Truncate(message, 4000);
        var json = data is null ? null : JobJson.Serialize(data);
        // Raw SQL: the comparison with the last event and the repeat or the new row are one statement.
        await db.Database.ExecuteSqlAsync($"""
            WITH last AS (
                SELECT id, kind, message, data, actor FROM job_events WHERE job_id = {job.Id} ORDER BY id DESC LIMIT 1),
            repeated AS (
                UPDATE job_events SET repeats = job_events.repeats + 1, last_repeat_at = {at}
                FROM last
                WHERE job_events.id = last.id AND last.kind = {kind} AND last.message IS NOT DISTINCT FROM {text}::text
                  AND last.data IS NOT DISTINCT FROM {json}::jsonb AND last.actor IS NOT DISTINCT FROM {actor}::text
                RETURNING job_events.id)
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
            SELECT {job.Id}, {at}, {kind}, {job.Status}, NULL, {cause}, {actor}, {text}, {json}::jsonb
            WHERE NOT EXISTS (SELECT 1 FROM repeated)
            """);
    }

    /// <summary>
    /// A conditional <paramref name="update"/> of one job (<c>UPDATE jobs … WHERE id = … AND …</c>, no RETURNING) made one
    /// statement with its event and NOTIFY, both only when the row changed; the count (one or none) says whether it did.
    /// </summary>
    internal static FormattableString WithTransition(FormattableString update, Guid jobId, Guid userId, string from, string to, DateTime at,
        string cause, string? actor = null, string? message = null, object? data = null) =>
        WithEvent(update, Transition, from, to, new JobChanged(jobId, userId, to, from), at, cause, actor, message, data);

    /// <summary>As <see cref="WithTransition"/>, for a change that is not a transition (a note of <paramref name="kind"/>; pages are told).</summary>
    internal static FormattableString WithNote(FormattableString update, Job job, string kind, DateTime at, string cause, string? message = null) =>
        WithEvent(update, kind, job.Status, null, new JobChanged(job.Id, job.UserId, job.Status), at, cause, null, message, null);

    private static FormattableString WithEvent(FormattableString update, string kind, string? from, string? to, JobChanged changed, DateTime at,
        string cause, string? actor, string? message, object? data) =>
        RawSql.Concat($"WITH changed AS (", update, $"""

                             RETURNING id, pg_notify({Channel}, {JobJson.Serialize(changed)}))
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
            SELECT changed.id, {at}, {kind}, {from}, {to}, {cause}, {actor}, {Truncate(message, 4000)},
                   {(data is null ? null : JobJson.Serialize(data))}::jsonb
            FROM changed
            """);

    /// <summary>Raw SQL, as every event is written: a row in the caller's transaction, without change tracking.</summary>
    private static async Task WriteAsync(JobHubDbContext db, Guid jobId, string kind, string? from, string? to, DateTime at,
        string cause, string? actor, string? message, object? data) =>
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
            VALUES ({jobId}, {at}, {kind}, {from}, {to}, {cause}, {actor}, {Truncate(message, 4000)},
                    {(data is null ? null : JobJson.Serialize(data))}::jsonb)
            """);

    /// <summary>An event's message as stored (at most 4,000 characters).</summary>
    internal static string? Truncate(string? value, int length = 4000) => value is null || value.Length <= length ? value : value[..length];
}

/// <summary>The NOTIFY payload: which job changed, whose, its new status and, for a transition, the status it left.</summary>
public sealed record JobChanged(Guid JobId, Guid UserId, string Status, string? From = null)
{
    /// <summary>The job entered or left the queue: every queued job's position may have moved.</summary>
    public bool MovesTheQueue => Status == JobStatus.Queued || From == JobStatus.Queued;
}
