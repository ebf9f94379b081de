using JobHub.Core.Limits;
using JobHub.Core.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace JobHub.Core.Jobs;

/// <summary>
/// One row of <c>uploads</c>: a file a person stored as an input, counted against their bound on every instance. Its id is
/// the upload id a job is later submitted with; <see cref="Input"/> is set once the file is stored in full.
/// </summary>
public sealed class UploadRecord
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public DateTime StoredAt { get; set; }
    public long Bytes { get; set; }

    /// <summary>The tool whose input it was checked for; null until stored.</summary>
    public string? ToolKey { get; set; }

    /// <summary>The <see cref="StoredInput"/> as JSON; null while the file is reserved but not (or never) stored.</summary>
    public string? Input { get; set; }
}

public sealed class UploadRecordConfiguration : IEntityTypeConfiguration<UploadRecord>
{
    public void Configure(EntityTypeBuilder<UploadRecord> entity)
    {
        entity.ToTable("uploads");
        entity.HasKey(u => u.Id).HasName("uploads_pkey");
        entity.HasOne<Accounts.JobHubUser>().WithMany().HasForeignKey(u => u.UserId)
            .OnDelete(DeleteBehavior.Cascade).HasConstraintName("uploads_user_id_fkey");
        entity.HasIndex(u => new { u.UserId, u.StoredAt }).HasDatabaseName("uploads_user_id_stored_at");
        entity.Property(u => u.Input).HasColumnType("jsonb");
    }
}

/// <summary>
/// The inputs people stored, by upload id: a job is created only from uploads of its own user that were stored in full,
/// for the tool and input it names; anything else is as unknown as an id that never existed.
/// </summary>
public sealed class UploadedInputs(IDbContextFactory<JobHubDbContext> contexts)
{
    /// <summary>Marks a reserved upload as stored, with what was stored.</summary>
    public async Task RecordAsync(Guid uploadId, string toolKey, StoredInput input, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var json = JobJson.Serialize(input);
        await db.Set<UploadRecord>().Where(u => u.Id == uploadId)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.ToolKey, toolKey).SetProperty(u => u.Input, json), cancellationToken);
    }

    /// <summary>
    /// The stored inputs these uploads hold (input key → upload id), or the first input key whose upload is not the user's
    /// to use: another's, not stored, for another input or tool, or one a job was already made from.
    /// </summary>
    public async Task<(IReadOnlyList<StoredInput>? Inputs, string? Unknown)> FindAsync(Guid userId, string toolKey,
        IReadOnlyDictionary<string, Guid> uploads, CancellationToken cancellationToken)
    {
        var ids = uploads.Values.ToList();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Set<UploadRecord>().AsNoTracking()
            .Where(u => ids.Contains(u.Id) && u.UserId == userId && u.ToolKey == toolKey && u.Input != null)
            .ToDictionaryAsync(u => u.Id, u => u.Input!, cancellationToken);
        var found = rows.ToDictionary(r => r.Key, r => System.Text.Json.JsonSerializer.Deserialize<StoredInput>(r.Value, JobJson.Options));
        var names = found.Values.OfType<StoredInput>().Select(i => i.StoredName).ToArray();
        // An upload makes one job: a second job on the same files would lose them when the first one's files are removed.
        // Raw SQL: the stored names sit inside each job's inputs JSON array, which EF's LINQ cannot unnest.
        var used = (await db.Database.SqlQuery<string>($"""
            SELECT input ->> 'storedName' AS "Value" FROM jobs, jsonb_array_elements(inputs) input
            WHERE user_id = {userId} AND input ->> 'storedName' = ANY({names})
            """).ToListAsync(cancellationToken)).ToHashSet();
        var inputs = new List<StoredInput>();
        foreach (var (key, id) in uploads)
        {
            if (found.GetValueOrDefault(id) is not { } input || input.Key != key || used.Contains(input.StoredName))
            {
                return (null, key);
            }

            inputs.Add(input);
        }

        return (inputs, null);
    }
}

/// <summary>
/// The per-user bound on stored inputs (<see cref="UploadOptions"/>), counted from the database so that it holds across
/// instances: a file is reserved before it is written, under a lock per user, and refused when the window is full.
/// </summary>
public sealed class UploadQuota(IDbContextFactory<JobHubDbContext> contexts, IOptions<UploadOptions> options, TimeProvider clock)
{
    public const string TooManyFiles = "UPLOADS_TOO_MANY";
    public const string TooManyBytes = "UPLOADS_TOO_LARGE";

    /// <summary>Reserves <paramref name="bytes"/> for a file the user is about to store; null and the refusal when over the bound.</summary>
    public async Task<(Guid? Reservation, StoreInputResult? Refused)> ReserveAsync(Guid userId, long bytes, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Raw SQL: a transaction-scoped advisory lock per user (two-key form, its own key space), so two uploads of one person
        // at once cannot both see room for one.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(26, hashtext({userId.ToString()}))", cancellationToken);
        // A page still open on a deleted account stores nothing more (the deletion takes this same lock).
        if (await db.Users.AnyAsync(u => u.Id == userId && u.DeletedAt != null, cancellationToken))
        {
            return (null, new StoreInputResult(null, SubmitErrors.UserUnknown, "Your account was not found. Sign in again."));
        }

        if (await RefusalAsync(db, userId, bytes, now, cancellationToken) is { } refused)
        {
            return (null, refused);
        }

        var record = new UploadRecord { Id = Guid.CreateVersion7(clock.GetUtcNow()), UserId = userId, StoredAt = now, Bytes = bytes };
        db.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (record.Id, null);
    }

    /// <summary>Whether the window is already full, before anything is read (a cheap early refusal; the reservation decides).</summary>
    public async Task<StoreInputResult?> CheckAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await RefusalAsync(db, userId, 0, clock.GetUtcNow().UtcDateTime, cancellationToken);
    }

    /// <summary>A reservation whose file was never written (the write failed) stops counting.</summary>
    public async Task ReleaseAsync(Guid reservation)
    {
        await using var db = await contexts.CreateDbContextAsync();
        await db.Set<UploadRecord>().Where(u => u.Id == reservation).ExecuteDeleteAsync();
    }

    private async Task<StoreInputResult?> RefusalAsync(JobHubDbContext db, Guid userId, long bytes, DateTime now, CancellationToken cancellationToken)
    {
        var bound = options.Value;
        var since = now - bound.Window;
        var used = await db.Set<UploadRecord>().AsNoTracking().Where(u => u.UserId == userId && u.StoredAt > since)
            .GroupBy(_ => 1).Select(g => new { Files = g.Count(), Bytes = g.Sum(u => u.Bytes), Oldest = g.Min(u => u.StoredAt) })
            .SingleOrDefaultAsync(cancellationToken);
        if (used is null)
        {
            return null;
        }

        var hours = Math.Round(bound.Window.TotalHours, 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var retryAfter = used.Oldest + bound.Window - now;
        if (used.Files >= bound.MaxFilesPerUser)
        {
            return new StoreInputResult(null, TooManyFiles,
                $"You stored {used.Files} files in the last {hours} h, the most allowed. Nothing was stored; try again later.")
            { ErrorArguments = [used.Files.ToString(), hours], RetryAfter = retryAfter };
        }

        if (used.Bytes + bytes > bound.MaxBytesPerUser)
        {
            var megabytes = (bound.MaxBytesPerUser / 1024 / 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new StoreInputResult(null, TooManyBytes,
                $"Your files of the last {hours} h would pass {megabytes} MB, the most allowed. Nothing was stored; try again later.")
            { ErrorArguments = [megabytes, hours], RetryAfter = retryAfter };
        }

        return null;
    }
}
