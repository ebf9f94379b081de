using System.ComponentModel.DataAnnotations;

namespace JobHub.Core.Limits;

/// <summary>What one person may store as inputs (section <c>JobHub:Uploads</c>), and how much image work runs at once.</summary>
public sealed class UploadOptions
{
    public const string Section = "JobHub:Uploads";

    /// <summary>Files one user may store within <see cref="Window"/>, used by a job or not.</summary>
    [Range(1, 1_000_000)]
    public int MaxFilesPerUser { get; set; } = 100;

    /// <summary>Bytes one user may store within <see cref="Window"/>.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytesPerUser { get; set; } = 2L * 1024 * 1024 * 1024;

    /// <summary>The period the two bounds above count over (as long as unused uploads are kept, by default).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Image decodes and scalings running at once in this process (each holds a full-size image); 0: one per core.</summary>
    [Range(0, 256)]
    public int ImageWorkers { get; set; }

    public int ImageWorkersOrDefault => ImageWorkers > 0 ? ImageWorkers : Environment.ProcessorCount;
}
