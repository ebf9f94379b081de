using JobHub.Core.Jobs;
using JobHub.Core.Jobs.Outputs;

namespace JobHub.Web.Jobs;

/// <summary>Where a page points for a job's result: JobHub's copy once stored, else RunningHub's link where it may be shown.</summary>
public static class ResultLinks
{
    /// <summary>The address of output <paramref name="index"/>, or null when there is none to show yet (not copied, link not shown).</summary>
    public static string? For(this OutputUrlPolicy policy, Job job, int index) =>
        job.OutputFiles[index] is { StoredName: not null } ? $"/files/jobs/{job.Id}/outputs/{index}"
            : policy.Shown(job.OutputFiles[index].Url, job.AccountKey);
}
