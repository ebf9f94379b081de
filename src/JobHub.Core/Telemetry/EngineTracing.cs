using System.Diagnostics;

namespace JobHub.Core.Telemetry;

/// <summary>
/// The engine's activities: a job's submit, launch, webhook, reconciliation and output copy, each carrying the job's id
/// (<see cref="JobId"/>), so that a trace back end finds a job's whole path by that attribute.
/// </summary>
public static class EngineTracing
{
    public const string SourceName = "JobHub.Engine";

    /// <summary>The attribute every job activity carries.</summary>
    public const string JobId = "jobhub.job.id";

    public const string Tool = "jobhub.tool";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts an activity about one job (null when nobody listens).</summary>
    public static Activity? StartJob(string name, Guid jobId, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(name, kind);
        activity?.SetTag(JobId, jobId.ToString());
        return activity;
    }

    /// <summary>
    /// The launch of a job: a child of its submit when the submit dispatched it; a trace of its own when a freed slot
    /// promoted it, linked to the activity that freed the slot (another job's end is not this job's path).
    /// </summary>
    public static Activity? StartLaunch(Guid jobId)
    {
        var current = Activity.Current;
        if (current is null || Equals(current.GetTagItem(JobId), jobId.ToString()))
        {
            return StartJob("job.launch", jobId);
        }

        Activity.Current = null; // this flow is the launch's own (a background task): its parent is none
        var activity = Source.StartActivity("job.launch", ActivityKind.Internal, parentContext: default, links: [new ActivityLink(current.Context)]);
        activity?.SetTag(JobId, jobId.ToString());
        return activity;
    }

    public static void Outcome(this Activity? activity, string outcome) => activity?.SetTag("jobhub.outcome", outcome);
}
