using System.Security.Claims;
using JobHub.Core.Accounts;
using JobHub.Core.Admin;
using JobHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace JobHub.Tests.Admin;

/// <summary>The dashboard's figures against a seeded day of jobs, computed here independently; and the admin actions' own checks.</summary>
public sealed class AdminQueriesTests : IAsyncLifetime
{
    private EngineHarness h = null!;

    public async Task InitializeAsync() => h = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await h.DisposeAsync();

    private sealed record Seeded(string Tool, string Status, DateTime Created, DateTime? Started, DateTime? Completed, decimal? Cost);

    private async Task<List<Seeded>> SeedDayAsync()
    {
        var now = h.Clock.GetUtcNow().UtcDateTime;
        var random = new Random(7);
        var tools = new[] { "image-upscaler", "video-upscaler", "pose-changer", "virtual-try-on" };
        var statuses = new[] { "completed", "completed", "completed", "failed", "cancelled" };
        var seeded = new List<Seeded>();
        for (var i = 0; i < 120; i++)
        {
            var status = statuses[random.Next(statuses.Length)];
            var completed = now - TimeSpan.FromMinutes(random.Next(1, 60 * 30)); // some older than 24 h
            var started = status == "cancelled" && i % 2 == 0 ? (DateTime?)null : completed - TimeSpan.FromSeconds(random.Next(5, 600));
            seeded.Add(new Seeded(tools[random.Next(tools.Length)], status, completed.AddMinutes(-15), started, completed,
                status == "cancelled" ? null : Math.Round((decimal)random.NextDouble(), 4)));
        }

        for (var i = 0; i < 5; i++)
        {
            seeded.Add(new Seeded(tools[i % 4], i < 2 ? "running" : "queued", now.AddMinutes(-i - 1), i < 2 ? now.AddMinutes(-i - 1) : null, null, null));
        }

        foreach (var job in seeded)
        {
            var user = await h.CreateUserAsync(0);
            await h.Db.ExecuteAsync($"""
                INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queued_at, queue_seq, started_at, completed_at, task_id, cost_money, updated_at)
                VALUES (gen_random_uuid(), {user}, {job.Tool}, {job.Status}, 0, {job.Created}, CASE WHEN {job.Status} = 'queued' THEN {job.Created} END,
                        nextval('jobs_queue_seq'), {job.Started}::timestamptz, {job.Completed}::timestamptz,
                        CASE WHEN {job.Status} = 'running' THEN gen_random_uuid()::text END, {job.Cost}::numeric, {job.Created})
                """);
        }

        return seeded;
    }

    private static double? Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToArray();
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    [Fact]
    public async Task Overview_MatchesTheDatabase_ForASeededDay()
    {
        var seeded = await SeedDayAsync();
        var now = h.Clock.GetUtcNow().UtcDateTime;

        var overview = await h.Services.GetRequiredService<AdminQueries>().OverviewAsync();

        Assert.Equal(seeded.GroupBy(j => j.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())),
            overview.States.Select(s => (s.Status, s.Count)));
        Assert.Equal(3, overview.Slots.Queued);
        Assert.Equal(seeded.Where(j => j.Status == "queued").Min(j => j.Created), overview.OldestQueuedAt);

        var lastDay = seeded.Where(j => j.Completed > now.AddHours(-24)).GroupBy(j => j.Tool).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(lastDay.Select(g => g.Key), overview.LastDay.Select(t => t.ToolKey));
        foreach (var (expected, actual) in lastDay.Zip(overview.LastDay))
        {
            Assert.Equal(expected.Count(j => j.Status == "completed"), actual.Completed);
            Assert.Equal(expected.Count(j => j.Status == "failed"), actual.Failed);
            Assert.Equal(expected.Count(j => j.Status == "cancelled"), actual.Cancelled);
            var runs = expected.Where(j => j.Status == "completed").Select(j => (j.Completed!.Value - j.Started!.Value).TotalSeconds).ToList();
            Assert.Equal(Percentile(runs, 0.5)!.Value, actual.MedianSeconds!.Value, 3);
            Assert.Equal(Percentile(runs, 0.95)!.Value, actual.P95Seconds!.Value, 3);
        }

        var costs = seeded.Where(j => j.Completed >= now.Date.AddDays(-13))
            .GroupBy(j => (j.Completed!.Value.Date, j.Tool)).OrderBy(g => g.Key.Date).ThenBy(g => g.Key.Tool, StringComparer.Ordinal)
            .Select(g => (g.Key.Date, g.Key.Tool, g.Sum(j => j.Cost ?? 0), g.Count()));
        Assert.Equal(costs, overview.CostByDay.Select(c => (c.Day, c.ToolKey, c.Cost, c.Jobs)));
    }

    [Theory]
    [InlineData("RUNNINGHUB_ERROR 805", "805")] // the code as the list shows it
    [InlineData("runninghub_error 8", "805")]
    [InlineData("RunningHub", "805,433")]
    [InlineData("805", "805")] // the provider's code alone, as the failures page links it
    [InlineData("  timeout ", "timeout")]
    [InlineData("out of MEMORY", "805")] // RunningHub's own message
    [InlineData("schema mismatch", "433")]
    [InlineData("Cancelled by an", "cancelled")] // JobHub's message
    [InlineData("ERROR", "")] // a prefix, not anywhere in the code
    [InlineData("%", "")] // the search's own characters are searched for, never wildcards
    [InlineData("_", "")]
    public async Task ErrorSearch_MatchesTheCodeAsShown_ByPrefix_AnyCase_AndTheMessages(string search, string expected)
    {
        var user = await h.CreateUserAsync(0);
        async Task SeedAsync(string name, string status, string? code, string? message, string? providerCode, string? providerMessage) =>
            await h.Db.ExecuteAsync($"""
                INSERT INTO jobs (id, user_id, tool_key, status, credit_cost, created_at, queue_seq, completed_at, error_code, error_message,
                                  provider_code, provider_message, task_id, updated_at)
                VALUES (gen_random_uuid(), {user}, 'pose-changer', {status}, 3, now(), nextval('jobs_queue_seq'), now(), {code}, {message},
                        {providerCode}, {providerMessage}, {name}, now())
                """);
        await SeedAsync("805", "failed", "RUNNINGHUB_ERROR", "CUDA out of memory", "805", "CUDA out of memory");
        await SeedAsync("433", "failed", "RUNNINGHUB_ERROR", "workflow validation failed", "433", "schema mismatch in node 12");
        await SeedAsync("timeout", "failed", "TIMEOUT", "the task took too long", null, null);
        await SeedAsync("cancelled", "cancelled", "CANCELLED_BY_ADMIN", "Cancelled by an administrator", null, null);
        await SeedAsync("completed", "completed", null, null, null, null);

        var (rows, total) = await h.Services.GetRequiredService<AdminQueries>().SearchJobsAsync(new JobFilter(Error: search));

        var names = expected.Split(',', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(names.Order(), rows.Select(r => r.Job.TaskId!).Order());
        Assert.Equal(names.Length, total);
    }

    [Fact]
    public async Task AdminActions_RefuseAnyoneWithoutTheAdminRole_AndChangeNothing()
    {
        var actions = h.Services.GetRequiredService<AdminActions>();
        var user = await h.CreateUserAsync(10);
        var notAdmin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.ToString()), new Claim(ClaimTypes.Role, Roles.User)], "test"));

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => actions.AdjustCreditsAsync(notAdmin, user, 1000, "free credits"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => actions.RunTaskNowAsync(notAdmin, "retention", "why not"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => actions.CancelAsync(notAdmin, Guid.NewGuid(), "x"));

        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM admin_actions"));
    }

    [Theory]
    [InlineData(0, "a reason")]
    [InlineData(100_001, "a reason")]
    [InlineData(5, "")]
    [InlineData(5, "   ")]
    public async Task CreditAdjustment_WithBadValues_IsRefused_AndChangesNothing(int amount, string reason)
    {
        var actions = h.Services.GetRequiredService<AdminActions>();
        var adminId = await h.CreateUserAsync(0);
        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, adminId.ToString()), new Claim(ClaimTypes.Role, Roles.Admin)], "test"));
        var user = await h.CreateUserAsync(10);

        var result = await actions.AdjustCreditsAsync(admin, user, amount, reason);

        Assert.False(result.Succeeded);
        Assert.Equal(10, await h.BalanceAsync(user));
        Assert.Equal(0, await h.ScalarAsync<int>($"SELECT count(*)::int FROM admin_actions"));
    }

    [Fact]
    public void CostChart_HasEveryDayOnce_InOrder_AndEachToolsBarOverItsOwnDay()
    {
        var today = new DateTime(2026, 11, 24, 15, 0, 0, DateTimeKind.Utc);
        var points = new List<CostPoint>
        {
            new(new DateTime(2026, 11, 24), "pose-changer", 1.5m, 3),
            new(new DateTime(2026, 11, 22), "pose-changer", 0.5m, 1),
            new(new DateTime(2026, 11, 23), "video-upscaler", 2m, 2),
        };

        var series = JobHub.Web.Components.Pages.Admin.CostChart.Build(points, today, 3);

        Assert.Equal(["pose-changer", "video-upscaler"], series.Select(s => s.ToolKey));
        Assert.All(series, s => Assert.Equal(["22/11", "23/11", "24/11"], s.Bars.Select(b => b.Day)));
        Assert.Equal([0.5m, 0m, 1.5m], series[0].Bars.Select(b => b.Cost));
        Assert.Equal([0m, 2m, 0m], series[1].Bars.Select(b => b.Cost));
    }

    [Theory]
    [InlineData(0.04, 1)] // a few cents: bars in cents, a tick each cent
    [InlineData(0.37, 10)]
    [InlineData(1.5, 50)]
    [InlineData(250, 10000)]
    public void CostChart_DrawsCents_WithAboutFourTicksOnARoundStep(double highestDollars, int tickCents)
    {
        var series = new List<JobHub.Web.Components.Pages.Admin.CostSeries>
        {
            new("pose-changer", [new("24/11", (decimal)highestDollars), new("25/11", 0m)]),
        };

        var axis = JobHub.Web.Components.Pages.Admin.CostChart.Axis(series);

        Assert.Equal(tickCents, axis.YAxisTicks);
        Assert.Equal((highestDollars * 100).ToString("0"), JobHub.Web.Components.Pages.Admin.CostChart.Cents((decimal)highestDollars).ToString("0"));
        Assert.Equal(1.5.ToString("0.00", System.Globalization.CultureInfo.CurrentCulture), axis.YAxisToStringFunc!(150));
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("+15", 15)]
    [InlineData(" -3 ", -3)]
    public void CreditAmount_IsReadExactlyAsTyped(string typed, int amount) =>
        Assert.Equal(amount, AdminActions.ParseAmount(typed).Value);

    [Theory]
    [InlineData("99999999999", AdminErrors.AmountInvalid)]
    [InlineData("100001", AdminErrors.AmountInvalid)]
    [InlineData("0", AdminErrors.AmountInvalid)]
    [InlineData("7.5", AdminErrors.AmountNotANumber)]
    [InlineData("seven", AdminErrors.AmountNotANumber)]
    [InlineData("", AdminErrors.AmountNotANumber)]
    public void CreditAmount_ThatIsNotAWholeNumberInRange_IsRefusedWithItsOwnMessage(string typed, string code) =>
        Assert.Equal(code, AdminActions.ParseAmount(typed).ErrorCode);

    [Fact]
    public void JobIds_MadeInTheSameMillisecond_AreToldApart()
    {
        var at = DateTimeOffset.UtcNow;
        var ids = Enumerable.Range(0, 50).Select(_ => Guid.CreateVersion7(at)).ToList();

        Assert.Single(ids.Select(id => id.ToString()[..8]).Distinct()); // the leading digits are the time: all the same
        Assert.Equal(ids.Count, ids.Select(JobHub.Web.Components.Jobs.JobIdLink.Short).Distinct().Count());
    }
}
