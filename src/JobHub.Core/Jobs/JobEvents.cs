using System.Runtime.CompilerServices;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;

namespace JobHub.Core.Jobs;

/// <summary>
/// The job's event log, and the NOTIFY that tells every instance a job changed. Both are written in the
/// transaction that made the change, so a rolled-back change leaves neither.
/// </summary>
public static class JobEvents
{
    public const string Channel = "jobhub_jobs";

    public const string Transition = "transition";
    public const string Ignored = "ignored";

    public static Task TransitionAsync(JobHubDbContext db, Job job, string? from, string to,
        DateTime at, string cause, string? actor = null, string? message = null, object? data = null) =>
        WriteAsync(db, job.Id, job.UserId, Transition, from, to, at, cause, actor, message, data, notifyStatus: to, notifyFrom: from);

    /// <summary>A late or repeated event that changed nothing: only recorded.</summary>
    public static Task IgnoredAsync(JobHubDbContext db, Guid jobId, string currentStatus, string attempted,
        DateTime at, string cause, string? message = null, object? data = null) =>
        WriteAsync(db, jobId, null, Ignored, currentStatus, attempted, at, cause, null, message, data, notifyStatus: null);

    /// <summary>
    /// Something that happened to a job without a status change (a reconciliation, copied outputs); with
    /// <paramref name="notify"/>, pages showing the job are told to refresh.
    /// </summary>
    public static Task NoteAsync(JobHubDbContext db, Job job, string kind, DateTime at, string cause,
        string? message = null, object? data = null, bool notify = false, string? actor = null) =>
        WriteAsync(db, job.Id, job.UserId, kind, job.Status, null, at, cause, actor, message, data,
            notifyStatus: notify ? job.Status : null);

    /// <summary>
    /// A conditional <paramref name="update"/> of one job (an <c>UPDATE jobs … WHERE id = … AND …</c> without RETURNING)
    /// made into one statement with its transition event and its NOTIFY: both happen only when the update changed the
    /// row, and the statement's count (one or none) says whether it did.
    /// </summary>
    internal static FormattableString WithTransition(FormattableString update, Guid jobId, Guid userId, string from, string to, DateTime at,
        string cause, string? actor = null, string? message = null, object? data = null) =>
        WithEvent(update, jobId, userId, Transition, from, to, new JobChanged(jobId, userId, to, from), at, cause, actor, message, data);

    /// <summary>As <see cref="WithTransition"/>, for a change that is not a transition (a note of <paramref name="kind"/>; pages are told).</summary>
    internal static FormattableString WithNote(FormattableString update, Job job, string kind, DateTime at, string cause, string? message = null) =>
        WithEvent(update, job.Id, job.UserId, kind, job.Status, null, new JobChanged(job.Id, job.UserId, job.Status), at, cause, null, message, null);

    private static FormattableString WithEvent(FormattableString update, Guid jobId, Guid userId, string kind, string? from, string? to,
        JobChanged changed, DateTime at, string cause, string? actor, string? message, object? data)
    {
        var arguments = update.GetArguments().ToList();
        string Parameter(object? value)
        {
            arguments.Add(value);
            return "{" + (arguments.Count - 1) + "}";
        }

        var payload = JobJson.Serialize(changed);
        var format = $"""
            WITH changed AS ({update.Format}
                             RETURNING id, pg_notify({Parameter(Channel)}, {Parameter(payload)}))
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
            SELECT changed.id, {Parameter(at)}, {Parameter(kind)}, {Parameter(from)}, {Parameter(to)}, {Parameter(cause)}, {Parameter(actor)},
                   {Parameter(Truncate(message, 4000))}, {Parameter(data is null ? null : JobJson.Serialize(data))}::jsonb
            FROM changed
            """;
        return FormattableStringFactory.Create(format, [.. arguments]);
    }

    /// <summary>
    /// Raw SQL: the event row and, when pages must hear of it, the NOTIFY go in one round trip inside the caller's
    /// transaction (EF has no NOTIFY); PostgreSQL delivers the NOTIFY only if that transaction commits.
    /// </summary>
    private static async Task WriteAsync(JobHubDbContext db, Guid jobId, Guid? userId, string kind, string? from, string? to, DateTime at,
        string cause, string? actor, string? message, object? data, string? notifyStatus, string? notifyFrom = null)
    {
        var payload = notifyStatus is null ? null : JobJson.Serialize(new JobChanged(jobId, userId ?? Guid.Empty, notifyStatus, notifyFrom));
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, actor, message, data)
            VALUES ({jobId}, {at}, {kind}, {from}, {to}, {cause}, {actor}, {Truncate(message, 4000)},
                    {(data is null ? null : JobJson.Serialize(data))}::jsonb);
            SELECT pg_notify({Channel}, {payload}::text) WHERE {payload}::text IS NOT NULL
            """);
    }

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}

/// <summary>The NOTIFY payload: which job changed, whose, its new status and, for a transition, the status it left.</summary>
public sealed record JobChanged(Guid JobId, Guid UserId, string Status, string? From = null)
{
    /// <summary>The job entered or left the queue: every queued job's position may have moved.</summary>
    public bool MovesTheQueue => Status == JobStatus.Queued || From == JobStatus.Queued;
}
