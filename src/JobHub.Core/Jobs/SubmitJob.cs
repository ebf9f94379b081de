using JobHub.Core.Credits;
using JobHub.Core.Jobs.Background;
using JobHub.Core.Jobs.Slots;
using JobHub.Core.Persistence;
using JobHub.Core.Storage;
using JobHub.Core.Telemetry;
using JobHub.Core.Tools;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobHub.Core.Jobs;

public sealed record SubmitJobRequest(Guid UserId, string ToolKey, IReadOnlyList<StoredInput> Inputs, IReadOnlyDictionary<string, string?> Parameters)
{
    /// <summary>Inputs the user stored before (input key → upload id), beside <see cref="Inputs"/>.</summary>
    public IReadOnlyDictionary<string, Guid> Uploads { get; init; } = new Dictionary<string, Guid>();
}

public sealed record SubmitJobResult(Job? Job, int? QueuePosition, string? ErrorCode, string? ErrorMessage)
{
    public bool Succeeded => Job is not null;

    /// <summary>The values in the refusal (a cost and a balance, a size and its limit), for the page to word in its language.</summary>
    public IReadOnlyList<string> ErrorArguments { get; init; } = [];

    public static SubmitJobResult Rejected(string code, string message, params string[] arguments) =>
        new(null, null, code, message) { ErrorArguments = arguments };
}

public static class SubmitErrors
{
    public const string ToolUnknown = "TOOL_UNKNOWN";
    public const string ParameterInvalid = "PARAMETER_INVALID";
    public const string InputInvalid = "INPUT_INVALID";
    public const string InsufficientCredits = "INSUFFICIENT_CREDITS";
    public const string ActiveJobExists = "ACTIVE_JOB_EXISTS";
    public const string UserUnknown = "USER_UNKNOWN";
    public const string UploadUnknown = "UPLOAD_UNKNOWN";

    public const string ActiveJobMessage = "You already have a job in progress. Wait for it to finish.";
}

/// <summary>
/// Creates a job. Parameters and inputs are checked first; then one statement under the slot lock inserts it
/// <c>starting</c> or <c>queued</c> (R1–R3), lets the partial unique index refuse a second active job (R4) and debits
/// the cost (R6). A refusal creates and charges nothing.
/// </summary>
public sealed class SubmitJob(
    ToolCatalog catalog,
    IFileStorage storage,
    JobLauncher launcher,
    AdmissionBatcher admissions,
    JobChangeFeed changes,
    JobQueries queries,
    UploadedInputs uploads,
    EngineMetrics metrics,
    IOptions<JobHubOptions> options,
    TimeProvider clock)
{
    public async Task<SubmitJobResult> HandleAsync(SubmitJobRequest request, CancellationToken cancellationToken = default)
    {
        using var activity = EngineTracing.Source.StartActivity("job.submit");
        activity?.SetTag(EngineTracing.Tool, request.ToolKey);
        var result = await SubmitAsync(request, activity, cancellationToken);
        metrics.Submitted(catalog.Find(request.ToolKey)?.Key ?? "unknown", result);
        activity.Outcome(result.ErrorCode ?? result.Job!.Status);
        return result;
    }

    private async Task<SubmitJobResult> SubmitAsync(SubmitJobRequest request, System.Diagnostics.Activity? activity, CancellationToken cancellationToken)
    {
        var (tool, route, parameters, refused) = Validate(request.ToolKey, request.Parameters);
        if (refused is not null)
        {
            return refused;
        }

        var inputs = request.Inputs;
        if (request.Uploads.Count > 0)
        {
            var (uploaded, unknown) = await uploads.FindAsync(request.UserId, tool!.Key, request.Uploads, cancellationToken);
            if (unknown is not null)
            {
                return SubmitJobResult.Rejected(SubmitErrors.UploadUnknown, $"The file for '{unknown}' was not found; upload it again.", unknown);
            }

            inputs = [.. inputs, .. uploaded!];
        }

        var inputError = await CheckInputsAsync(tool!, inputs, cancellationToken);
        if (inputError is not null)
        {
            return SubmitJobResult.Rejected(SubmitErrors.InputInvalid, inputError);
        }

        var result = await AdmitAsync(request with { Inputs = inputs }, tool!, route!, parameters!, cancellationToken);
        if (result.Job is not { } job)
        {
            return result;
        }

        activity?.SetTag(EngineTracing.JobId, job.Id.ToString()); // before the launch, which is its child
        // The NOTIFY after the commit, out of the slot lock's hold (JobChangeFeed).
        changes.Publish(new JobChanged(job.Id, job.UserId, job.Status));

        // A queued job needs no look for a slot after the commit: a release runs before the admission (which then sees the
        // slot free) or after it (and then sees this job waiting), never beside it (SlotAdmission.ReleaseLock).
        if (job.Status == JobStatus.Starting)
        {
            launcher.Dispatch([job.Id]);
        }

        return result;
    }

    /// <summary>
    /// What can be refused before an upload is stored: the tool, its parameters, an active job (R4) and a balance below this
    /// cost (R6). The admission decides again in its own statement; this only keeps a refused job from storing files.
    /// </summary>
    public async Task<SubmitJobResult?> PrecheckAsync(Guid userId, string toolKey, IReadOnlyDictionary<string, string?> requested,
        CancellationToken cancellationToken = default)
    {
        var (tool, _, parameters, refused) = Validate(toolKey, requested);
        if (refused is not null)
        {
            return refused;
        }

        return await PrecheckAsync(userId, tool!.CostFor(parameters!), cancellationToken);
    }

    /// <summary>
    /// What can be refused before a file for <paramref name="toolKey"/> is stored, whatever options the job is later
    /// submitted with: an active job (R4) and a balance below the tool's cheapest run (R6).
    /// </summary>
    public async Task<SubmitJobResult?> PrecheckUploadAsync(Guid userId, string toolKey, CancellationToken cancellationToken = default) =>
        catalog.Find(toolKey) is not { } tool
            ? SubmitJobResult.Rejected(SubmitErrors.ToolUnknown, $"There is no tool '{toolKey}'.")
            : await PrecheckAsync(userId, tool.CreditCostBy?.Values.Values.Append(tool.CreditCost).Min() ?? tool.CreditCost, cancellationToken);

    private async Task<SubmitJobResult?> PrecheckAsync(Guid userId, int cost, CancellationToken cancellationToken)
    {
        if (await queries.ActiveAsync(userId, cancellationToken) is not null)
        {
            return SubmitJobResult.Rejected(SubmitErrors.ActiveJobExists, SubmitErrors.ActiveJobMessage);
        }

        var balance = await queries.BalanceAsync(userId, cancellationToken);
        return balance < cost ? InsufficientCredits(cost, balance) : null;
    }

    /// <summary>The tool, its normalized parameters and the RunningHub app they choose, or why the request is refused.</summary>
    private (ToolDefinition? Tool, WebappRoute? Route, IReadOnlyDictionary<string, string>? Parameters, SubmitJobResult? Refused) Validate(
        string toolKey, IReadOnlyDictionary<string, string?> requested)
    {
        var tool = catalog.Find(toolKey);
        if (tool is null)
        {
            return (null, null, null, SubmitJobResult.Rejected(SubmitErrors.ToolUnknown, $"There is no tool '{toolKey}'."));
        }

        var (parameters, problem) = ToolParameters.Normalize(tool, requested);
        if (parameters is null)
        {
            return (null, null, null, SubmitJobResult.Rejected(SubmitErrors.ParameterInvalid, problem!.Message, [problem.Reason, problem.Key, .. problem.Values]));
        }

        var route = tool.RouteFor(parameters);
        return route is null
            ? (null, null, null, SubmitJobResult.Rejected(SubmitErrors.ParameterInvalid, "No RunningHub app is configured for this combination of options."))
            : (tool, route, parameters, null);
    }

    private static SubmitJobResult InsufficientCredits(int cost, int balance) =>
        SubmitJobResult.Rejected(SubmitErrors.InsufficientCredits,
            $"This job costs {cost} credits and you have {balance}. Nothing was charged.", cost.ToString(), balance.ToString());

    /// <summary>
    /// The admission, run after the slot lock with the admissions that arrive meanwhile (<see cref="AdmissionBatcher"/>).
    /// Raw SQL: the decision, the insert and the debit must be one statement under the lock, which EF cannot say.
    /// A balance too small or a missing user creates nothing.
    /// </summary>
    internal static readonly SqlStatement Admission = new("""
        -- The slots as the admissions before this one left them (SlotAdmission.State): the jobs in a slot, the head of the
        -- queue, and the least-loaded enabled account with room under its own limit.
        WITH state AS (
            SELECT (SELECT count(*) FROM jobs WHERE status IN ('starting', 'running')) AS in_slot,
                   head.id AS head_id, head.user_id AS head_user_id, head.next_attempt_at AS head_not_before,
                   head.tool_key AS head_tool_key, head.queued_at AS head_queued_at,
                   (SELECT a.account_key
                    FROM runninghub_accounts a
                    LEFT JOIN (SELECT account_key, count(*) AS n FROM jobs WHERE status IN ('starting', 'running') GROUP BY account_key) load
                        ON load.account_key = a.account_key
                    WHERE a.enabled AND coalesce(load.n, 0) < a.max_concurrent
                    ORDER BY coalesce(load.n, 0)::float8 / a.max_concurrent, a.account_key
                    LIMIT 1) AS account
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (SELECT id, user_id, next_attempt_at, tool_key, queued_at FROM jobs WHERE status = 'queued' ORDER BY queued_at, queue_seq LIMIT 1) head ON true
        ),
        -- The account the job starts on, or null when it queues (R1 all slots busy, R2 older jobs wait, R11 no account has room).
        decision AS (
            SELECT CASE WHEN state.in_slot < @max_concurrent AND state.head_id IS NULL THEN state.account END AS account FROM state),
        -- The balance, locked (none: no such user, or a deleted one: a deletion marks the row first, and is waited for).
        balance AS (
            SELECT credit_balance FROM users WHERE id = @user AND deleted_at IS NULL FOR UPDATE),
        -- The job, started or queued, when the balance covers its cost (R4's partial unique index refuses a second active one).
        job AS (
            INSERT INTO jobs (id, user_id, tool_key, status, parameters, inputs, webapp_id, credit_cost, waited_in_queue,
                              created_at, queued_at, queue_seq, starting_at, account_key, updated_at)
            SELECT @job, @user, @tool, CASE WHEN decision.account IS NULL THEN 'queued' ELSE 'starting' END,
                   @parameters::jsonb, @inputs::jsonb, @webapp, @cost, decision.account IS NULL,
                   @now, CASE WHEN decision.account IS NULL THEN @now END, nextval('jobs_queue_seq'),
                   CASE WHEN decision.account IS NULL THEN NULL ELSE @now END, decision.account, @now
            FROM decision, balance WHERE balance.credit_balance >= @cost
            RETURNING id, status, account_key, queued_at, queue_seq),
        -- Its first event.
        event AS (
            INSERT INTO job_events (job_id, at, kind, from_status, to_status, cause, message, data)
            SELECT job.id, @now, 'transition', NULL, job.status, @cause,
                   CASE WHEN job.account_key IS NULL THEN @queued_message ELSE @starting_message END,
                   CASE WHEN job.account_key IS NULL THEN jsonb_build_object('cost', @cost)
                        ELSE jsonb_build_object('cost', @cost, 'account', job.account_key) END
            FROM job),
        -- The debit (R6): the ledger row when the job was created, then the balance.
        debit AS (
            INSERT INTO credit_ledger (user_id, job_id, kind, amount, balance_after, reason, actor, created_at)
            SELECT @user, @job, 'debit', -@cost, balance.credit_balance - @cost, NULL, NULL, @now FROM balance, job
            WHERE balance.credit_balance >= @cost
            RETURNING balance_after),
        paid AS (
            UPDATE users SET credit_balance = debit.balance_after FROM debit WHERE users.id = @user RETURNING users.id)
        -- The job as inserted, and its place in the queue: the queued jobs (queue_count, kept by triggers) less those queued
        -- after it, plus itself (its row is in neither until it commits).
        SELECT job.queue_seq, job.status, job.account_key AS account,
               CASE WHEN job.status = 'queued' THEN
                   (SELECT queued FROM queue_count)
                   - (SELECT count(*) FROM jobs q WHERE q.status = 'queued' AND (q.queued_at, q.queue_seq) > (job.queued_at, job.queue_seq))::int + 1
               END AS position,
               EXISTS (SELECT 1 FROM paid) AS paid, balance.credit_balance AS balance
        FROM (SELECT 1) AS one LEFT JOIN balance ON true LEFT JOIN job ON true
        """);

    /// <summary>Admits the job (<see cref="Admission"/>): returns the new job and its place in the queue, or why it was refused.</summary>
    private async Task<SubmitJobResult> AdmitAsync(SubmitJobRequest request, ToolDefinition tool, WebappRoute route,
        IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var cost = tool.CostFor(parameters);
        var now = clock.GetUtcNow().UtcDateTime;
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        var parametersJson = JobJson.Serialize(parameters);
        var inputsJson = JobJson.Serialize(request.Inputs);

        Admitted admitted;
        cancellationToken.ThrowIfCancellationRequested(); // once handed to the batch, it runs
        try
        {
            (admitted, var earlier, _) = await admissions.RunAsync(id, Admission
                .With("max_concurrent", options.Value.MaxConcurrent)
                .With("user", request.UserId)
                .With("job", id)
                .With("tool", tool.Key)
                .With("parameters", parametersJson)
                .With("inputs", inputsJson)
                .With("webapp", route.WebappId)
                .With("cost", cost)
                .With("now", now)
                .With("cause", JobCause.User)
                .With("queued_message", JobEventMessages.Queued)
                .With("starting_message", JobEventMessages.Starting), Admitted.Read);
            // The jobs its batch queued before it are not in the statement's count: they are added here.
            admitted = admitted with { Position = admitted.Position + earlier.Count(e => ((Admitted)e).Status == JobStatus.Queued) };
        }
        catch (PostgresException ex) when (ex.IsUniqueViolation("jobs_one_active_per_user"))
        {
            return SubmitJobResult.Rejected(SubmitErrors.ActiveJobExists, SubmitErrors.ActiveJobMessage);
        }

        if (admitted.Balance is not { } balance)
        {
            return SubmitJobResult.Rejected(SubmitErrors.UserUnknown, "Your account was not found. Sign in again.");
        }

        if (!admitted.Paid || admitted.Status is not { } status)
        {
            return InsufficientCredits(cost, balance);
        }

        var queued = status == JobStatus.Queued;
        var account = admitted.Account;
        // The row as the statement wrote it (the columns it left to their defaults are the class's defaults too).
        var job = new Job
        {
            Id = id,
            UserId = request.UserId,
            ToolKey = tool.Key,
            Status = status,
            Parameters = parametersJson,
            Inputs = inputsJson,
            WebappId = route.WebappId,
            CreditCost = cost,
            WaitedInQueue = queued,
            CreatedAt = now,
            QueuedAt = queued ? now : null,
            QueueSeq = admitted.QueueSeq!.Value,
            StartingAt = queued ? null : now,
            AccountKey = account,
            UpdatedAt = now,
        };
        return new SubmitJobResult(job, admitted.Position, null, null);
    }

    /// <summary>The statement's one row: the job as inserted (nulls when it was not), whether it was paid, the balance it saw.</summary>
    internal sealed record Admitted(long? QueueSeq, string? Status, string? Account, int? Position, bool Paid, int? Balance)
    {
        /// <summary>The statement's row, its columns in order.</summary>
        public static Admitted Read(NpgsqlDataReader row) => new(
            row.IsDBNull(0) ? null : row.GetInt64(0), row.IsDBNull(1) ? null : row.GetString(1), row.IsDBNull(2) ? null : row.GetString(2),
            row.IsDBNull(3) ? null : row.GetInt32(3), row.GetBoolean(4), row.IsDBNull(5) ? null : row.GetInt32(5));
    }

    /// <summary>Every input of the tool exactly once, each a file JobHub stored and that still is what the input accepts.</summary>
    private async Task<string?> CheckInputsAsync(ToolDefinition tool, IReadOnlyList<StoredInput> inputs, CancellationToken cancellationToken)
    {
        foreach (var extra in inputs.Where(i => tool.Inputs.All(d => d.Key != i.Key)))
        {
            return $"The tool has no input '{extra.Key}'.";
        }

        foreach (var definition in tool.Inputs)
        {
            var matching = inputs.Where(i => i.Key == definition.Key).ToList();
            if (matching.Count != 1)
            {
                return matching.Count == 0 ? $"The file for '{definition.Key}' is missing." : $"Send one file for '{definition.Key}'.";
            }

            var input = matching[0];
            try
            {
                if (!await storage.AllExistAsync(input.Files, cancellationToken))
                {
                    return $"The file for '{definition.Key}' was not found; upload it again.";
                }

                await using var content = await storage.OpenReadAsync(input.StoredName, cancellationToken);
                // Checked in full (decoded to the end) when it was stored; here only that it is still what the row says.
                var (info, rejection) = MediaInspector.Inspect(content, content.Length, definition, decode: false);
                if (rejection is not null)
                {
                    return rejection.Message;
                }

                if (info!.MimeType != input.MimeType)
                {
                    return $"The file for '{definition.Key}' is not what it claims to be.";
                }
            }
            catch (ArgumentException)
            {
                return $"The file for '{definition.Key}' was not found; upload it again.";
            }
        }

        return null;
    }
}
