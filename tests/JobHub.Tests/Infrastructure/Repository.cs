namespace JobHub.Tests.Infrastructure;

/// <summary>The repository's folders, found from the test assembly's (the folder holding JobHub.sln).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot(AppContext.BaseDirectory);

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot(string from) =>
        File.Exists(Path.Combine(from, "JobHub.sln")) ? from : FindRoot(Path.GetDirectoryName(from) ?? throw new InvalidOperationException("no JobHub.sln above the tests"));
}
