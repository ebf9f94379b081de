using JobHub.Core.Storage;
using JobHub.Core.Tools;

namespace JobHub.Core.Jobs;

/// <summary>
/// What "Run again" would run: an ended job's settings and stored inputs, what a new run costs and the person's balance.
/// <see cref="InputsGone"/>: its files were removed (retention), so the person picks new ones.
/// </summary>
public sealed record RunAgainPlan(Job Job, IReadOnlyList<StoredInput> Inputs, IReadOnlyDictionary<string, string> Parameters,
    bool InputsGone, int Cost, int Balance)
{
    public bool CanAfford => Balance >= Cost;
}

public static class RunAgainErrors
{
    public const string JobNotFound = "JOB_NOT_FOUND";
    public const string InputsGone = "INPUTS_GONE";
}

/// <summary>
/// Runs an ended job again for its owner: a new job with the same settings and the same stored inputs, charged as any
/// job. Each input is copied within storage first (R9: stored before the job exists), so each job owns its files and the
/// retention of one never removes the other's.
/// </summary>
public sealed class RunAgain(JobQueries queries, ToolCatalog catalog, IFileStorage storage, SubmitJob submit)
{
    /// <summary>The plan for one of the person's ended jobs; null for a job that is not theirs, not ended, or of a removed tool.</summary>
    public async Task<RunAgainPlan?> PlanAsync(Guid userId, Guid jobId, CancellationToken cancellationToken = default)
    {
        if (await queries.GetAsync(jobId, userId, cancellationToken) is not { } job || !JobStatus.IsTerminal(job.Status)
            || catalog.Find(job.ToolKey) is not { } tool)
        {
            return null;
        }

        var inputs = job.InputFiles;
        var gone = job.FilesDeletedAt is not null || !await storage.AllExistAsync(inputs.SelectMany(i => i.Files), cancellationToken);
        var parameters = job.ParameterValues;
        return new RunAgainPlan(job, inputs, parameters, gone, tool.CostFor(parameters), await queries.BalanceAsync(userId, cancellationToken));
    }

    public async Task<SubmitJobResult> HandleAsync(Guid userId, Guid jobId, CancellationToken cancellationToken = default)
    {
        if (await PlanAsync(userId, jobId, cancellationToken) is not { } plan)
        {
            return SubmitJobResult.Rejected(RunAgainErrors.JobNotFound, "This job was not found among your ended jobs.");
        }

        if (plan.InputsGone)
        {
            return SubmitJobResult.Rejected(RunAgainErrors.InputsGone, "This job's files were removed; choose them again.");
        }

        var parameters = plan.Parameters.ToDictionary(p => p.Key, p => (string?)p.Value);
        if (await submit.PrecheckAsync(userId, plan.Job.ToolKey, parameters, cancellationToken) is { } refused)
        {
            return refused;
        }

        var copies = new List<StoredInput>();
        try
        {
            foreach (var input in plan.Inputs)
            {
                copies.Add(input with
                {
                    StoredName = await CopyAsync(input.StoredName, cancellationToken),
                    ScaledName = input.ScaledName is { } scaled ? await CopyAsync(scaled, cancellationToken) : null,
                });
            }

            var result = await submit.HandleAsync(new SubmitJobRequest(userId, plan.Job.ToolKey, copies, parameters), cancellationToken);
            if (!result.Succeeded)
            {
                await ForgetAsync(copies);
            }

            return result;
        }
        catch
        {
            await ForgetAsync(copies);
            throw;
        }
    }

    private async Task<string> CopyAsync(string storedName, CancellationToken cancellationToken)
    {
        await using var content = await storage.OpenReadAsync(storedName, cancellationToken);
        return await storage.SaveAsync("inputs", content, Path.GetExtension(storedName).TrimStart('.'), cancellationToken);
    }

    private async Task ForgetAsync(IEnumerable<StoredInput> copies)
    {
        foreach (var file in copies.SelectMany(c => c.Files))
        {
            await storage.DeleteAsync(file);
        }
    }
}
