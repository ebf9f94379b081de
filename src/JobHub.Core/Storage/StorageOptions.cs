using Microsoft.Extensions.Options;

namespace JobHub.Core.Storage;

public enum StorageBackend
{
    /// <summary>The local disk under <c>JobHub:StorageRoot</c>.</summary>
    Local,

    /// <summary>A bucket on any service that speaks the S3 API (AWS S3, Cloudflare R2, MinIO, Ceph).</summary>
    S3,
}

/// <summary>Where inputs, copied outputs and thumbnails are kept (section <c>JobHub:Storage</c>).</summary>
public sealed class StorageOptions
{
    public const string Section = "JobHub:Storage";

    public StorageBackend Backend { get; set; } = StorageBackend.Local;

    public S3StorageOptions S3 { get; set; } = new();
}

/// <summary>The bucket of the S3 backend (section <c>JobHub:Storage:S3</c>); the keys are never logged.</summary>
public sealed class S3StorageOptions
{
    /// <summary>The endpoint of a service other than AWS (R2, MinIO, Ceph): <c>https://host[:port]</c>. Empty: AWS, by <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The AWS region; with a <see cref="ServiceUrl"/>, the region requests are signed for (<c>auto</c> on R2; empty: <c>us-east-1</c>).</summary>
    public string? Region { get; set; }

    public string? Bucket { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>Addresses the bucket in the path (<c>host/bucket/key</c>) rather than the host name: MinIO and Ceph usually need it.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>A folder in the bucket for JobHub's files (a bucket shared with other data, or several JobHubs), e.g. <c>jobhub/</c>.</summary>
    public string? Prefix { get; set; }

    /// <summary>The part size of multipart uploads, in MiB: the memory one upload holds (S3's minimum is 5).</summary>
    public int PartSizeMiB { get; set; } = 8;
}

/// <summary>Refuses an S3 backend with a setting missing at start-up, naming the setting.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (options.Backend != StorageBackend.S3)
        {
            return ValidateOptionsResult.Success;
        }

        const string s3 = StorageOptions.Section + ":S3:";
        var settings = options.S3;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(settings.Bucket))
        {
            failures.Add($"{s3}Bucket is required when {StorageOptions.Section}:Backend is S3.");
        }

        if (string.IsNullOrWhiteSpace(settings.ServiceUrl) && string.IsNullOrWhiteSpace(settings.Region))
        {
            failures.Add($"{s3}Region is required for AWS S3 (or {s3}ServiceUrl for another S3-compatible service).");
        }

        if (!string.IsNullOrWhiteSpace(settings.ServiceUrl)
            && !(Uri.TryCreate(settings.ServiceUrl, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)))
        {
            failures.Add($"{s3}ServiceUrl must be an http or https address (e.g. https://<account>.r2.cloudflarestorage.com).");
        }

        if (string.IsNullOrWhiteSpace(settings.AccessKey))
        {
            failures.Add($"{s3}AccessKey is required when {StorageOptions.Section}:Backend is S3.");
        }

        if (string.IsNullOrWhiteSpace(settings.SecretKey))
        {
            failures.Add($"{s3}SecretKey is required when {StorageOptions.Section}:Backend is S3.");
        }

        if (settings.PartSizeMiB is < 5 or > 1024)
        {
            failures.Add($"{s3}PartSizeMiB must be between 5 (S3's smallest part) and 1024.");
        }

        if (!string.IsNullOrEmpty(settings.Prefix) && !System.Text.RegularExpressions.Regex.IsMatch(settings.Prefix, "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$"))
        {
            failures.Add($"{s3}Prefix must be a folder name such as jobhub/ (letters, digits, '_', '.', '-', separated by '/').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
