using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using JobHub.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobHub.Tests.Infrastructure;

/// <summary>
/// The suite's s3rver, started by <c>./jobhub test</c> (JOBHUB_TEST_S3_URL, _BUCKET, _ACCESS_KEY, _SECRET_KEY): JobHub's S3
/// settings for it, each test under a prefix of its own, and a client of its own to see what is really in the bucket.
/// </summary>
public static class TestS3
{
    private static string Setting(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException(
            "The S3 storage tests need the suite's s3rver: run them with ./jobhub test (it starts one and sets JOBHUB_TEST_S3_URL, " +
            "JOBHUB_TEST_S3_BUCKET, JOBHUB_TEST_S3_ACCESS_KEY and JOBHUB_TEST_S3_SECRET_KEY).");

    public static string Url => Setting("JOBHUB_TEST_S3_URL");
    public static string Bucket => Setting("JOBHUB_TEST_S3_BUCKET");

    /// <summary>A folder of the bucket no other test uses.</summary>
    public static string NewPrefix() => $"tests/{Guid.NewGuid():N}/";

    /// <summary>JobHub's settings for an S3 backend on the suite's s3rver under <paramref name="prefix"/> (parts of S3's smallest size).</summary>
    public static Dictionary<string, string?> Settings(string prefix, string? serviceUrl = null) => new()
    {
        ["JobHub:Storage:Backend"] = "S3",
        ["JobHub:Storage:S3:ServiceUrl"] = serviceUrl ?? Url,
        ["JobHub:Storage:S3:Bucket"] = Bucket,
        ["JobHub:Storage:S3:AccessKey"] = Setting("JOBHUB_TEST_S3_ACCESS_KEY"),
        ["JobHub:Storage:S3:SecretKey"] = Setting("JOBHUB_TEST_S3_SECRET_KEY"),
        ["JobHub:Storage:S3:ForcePathStyle"] = "true",
        ["JobHub:Storage:S3:Prefix"] = prefix,
        ["JobHub:Storage:S3:PartSizeMiB"] = "5",
    };

    /// <summary>A backend of its own, bound from a configuration of its own (as another host's would be).</summary>
    public static S3FileStorage Storage(string prefix, string? serviceUrl = null)
    {
        var options = new StorageOptions();
        new ConfigurationBuilder().AddInMemoryCollection(Settings(prefix, serviceUrl)).Build().GetSection(StorageOptions.Section).Bind(options);
        return new S3FileStorage(Options.Create(options), NullLogger<S3FileStorage>.Instance);
    }

    /// <summary>Every key in the bucket under <paramref name="prefix"/>, read with a client of the test's own.</summary>
    public static async Task<IReadOnlyList<string>> KeysAsync(string prefix)
    {
        using var client = Client();
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = Bucket, Prefix = prefix };
        while (true)
        {
            var page = await client.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            if (page.IsTruncated != true)
            {
                return keys;
            }

            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>Removes what a test left under its prefix.</summary>
    public static async Task ClearAsync(string prefix)
    {
        using var client = Client();
        foreach (var key in await KeysAsync(prefix))
        {
            await client.DeleteObjectAsync(Bucket, key);
        }
    }

    private static AmazonS3Client Client() => new(new BasicAWSCredentials(Setting("JOBHUB_TEST_S3_ACCESS_KEY"), Setting("JOBHUB_TEST_S3_SECRET_KEY")),
        new AmazonS3Config
        {
            ServiceURL = Url, ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
}
