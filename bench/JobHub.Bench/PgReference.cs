using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace JobHub.Bench;

/// <summary>
/// PostgreSQL's own rate for a hot path's bare work, by pgbench on the same cluster in the same run: a webhook (update a row
/// by key, insert one) and an admission (the slot lock, insert one: the bound under one lock), so a JobHub figure reads
/// against what the database allows. Each in a scratch database (advisory locks are per database), dropped after.
/// </summary>
public static partial class PgReference
{
    /// <summary>The advisory lock JobHub's slot admission takes (SlotAdmission).</summary>
    private const long SlotLock = 5363613744568095569;

    private const int Rows = 100_000;

    public static readonly Shape Webhook = new("update one row by key, insert one row", """
        \set id random(1, 100000)
        BEGIN;
        UPDATE reference_rows SET n = n + 1, updated_at = now() WHERE id = :id;
        INSERT INTO reference_log (row_id, at, note) VALUES (:id, now(), 'delivery');
        END;
        """);

    public static readonly Shape Admission = new("take the slot's advisory lock, insert one row", $"""
        BEGIN;
        SELECT pg_advisory_xact_lock({SlotLock});
        INSERT INTO reference_log (row_id, at, note) VALUES (0, now(), 'admission');
        END;
        """);

    public sealed record Shape(string Work, string Script);

    /// <summary>One pgbench run: transactions per second and their mean latency.</summary>
    public sealed record Result(Shape Shape, int Clients, double PerSecond, double LatencyMs);

    public static async Task<Result> RunAsync(string adminConnectionString, Shape shape, int clients, TimeSpan duration)
    {
        var database = await BenchDatabase.CreateAsync(adminConnectionString, "jobhub_reference");
        var script = Path.Combine(Path.GetTempPath(), $"{database}.sql");
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database };
            await using (var db = new NpgsqlConnection(connection.ConnectionString))
            {
                await db.OpenAsync();
                await using var create = new NpgsqlCommand($"""
                    CREATE TABLE reference_rows (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now());
                    CREATE TABLE reference_log (id bigserial PRIMARY KEY, row_id bigint NOT NULL, at timestamptz NOT NULL, note text NOT NULL);
                    INSERT INTO reference_rows (id) SELECT generate_series(1, {Rows});
                    """, db);
                await create.ExecuteNonQueryAsync();
                await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE reference_rows", db); // not in a batch: VACUUM runs alone
                await vacuum.ExecuteNonQueryAsync();
            }

            await File.WriteAllTextAsync(script, shape.Script);
            var output = await PgBenchAsync(connection, script, clients, duration);
            var perSecond = Number(Tps().Match(output), "tps");
            var latency = Number(Latency().Match(output), "latency average");
            return new Result(shape, clients, perSecond, latency);
        }
        finally
        {
            File.Delete(script);
            await BenchDatabase.DropAsync(adminConnectionString, database, storage: "");
            await CheckpointAsync(adminConnectionString);
        }
    }

    /// <summary>
    /// Writes out what the reference dirtied, so that its checkpoint does not fall on whatever is measured next (a later
    /// benchmark on the same cluster). Best effort: CHECKPOINT needs a superuser, which the private cluster's owner is.
    /// </summary>
    private static async Task CheckpointAsync(string adminConnectionString)
    {
        try
        {
            await BenchDatabase.ExecuteAsync(adminConnectionString, "CHECKPOINT");
        }
        catch (PostgresException)
        {
            // not a superuser on a configured server: the next run may meet the checkpoint
        }
    }

    /// <summary>A table of JobHub's rates beside the references at the same concurrency, with the ratio.</summary>
    public static IReadOnlyList<string> Table(IEnumerable<(string Figure, double PerSecond, Result Reference)> rows) =>
    [
        "",
        "The same run's reference: PostgreSQL's own rate for the bare work of each path on this cluster (pgbench, custom scripts, 10 s each).",
        "",
        "| JobHub figure | JobHub | reference work | clients | PostgreSQL (pgbench) | JobHub / reference |",
        "|---|---|---|---|---|---|",
        .. rows.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"| {r.Figure} | {r.PerSecond:0}/s | {r.Reference.Shape.Work} | {r.Reference.Clients} | {r.Reference.PerSecond:0}/s (mean {r.Reference.LatencyMs:0.00} ms) | {r.PerSecond / r.Reference.PerSecond:P0} |")),
    ];

    private static async Task<string> PgBenchAsync(NpgsqlConnectionStringBuilder connection, string script, int clients, TimeSpan duration)
    {
        var start = new ProcessStartInfo(PgBenchPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--no-vacuum", "--client", clients.ToString(CultureInfo.InvariantCulture),
            "--jobs", Math.Min(clients, Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture),
            "--time", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture), "--file", script,
            "--host", connection.Host!, "--port", connection.Port.ToString(CultureInfo.InvariantCulture),
            "--username", connection.Username!, connection.Database!,
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = connection.Password ?? "";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pgbench did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pgbench exited with {process.ExitCode}: {await errors}");
        }

        return await output;
    }

    /// <summary>pgbench from the PostgreSQL the cluster runs on (./jobhub names it), else the newest installed, else PATH's.</summary>
    private static string PgBenchPath()
    {
        if (Environment.GetEnvironmentVariable("JOBHUB_PGBENCH") is { Length: > 0 } named && File.Exists(named))
        {
            return named;
        }

        var installed = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pgbench")).Where(File.Exists)
                .OrderByDescending(p => p, StringComparer.Ordinal).FirstOrDefault()
            : null;
        return installed ?? "pgbench";
    }

    private static double Number(Match match, string what) => match.Success
        ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"pgbench printed no {what}");

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex Latency();
}
