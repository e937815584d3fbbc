namespace PeerConnect.Browser.Tests.Infrastructure;

/// <summary>Where tests leave files for people: <c>TestResults/</c> at the repository root.</summary>
public static class Artifacts
{
    public static string ScreenshotDirectory { get; } = Directory.CreateDirectory(
        Path.Combine(FindRepositoryRoot(), "TestResults", "screenshots")).FullName;

    /// <summary>Walks up from the test assembly to the directory holding PeerConnect.sln.</summary>
    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerConnect.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No PeerConnect.sln above {AppContext.BaseDirectory}.");
    }
}
