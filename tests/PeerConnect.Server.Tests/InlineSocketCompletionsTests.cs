using Microsoft.Extensions.Configuration;
using PeerConnect.Server.Hosting;

namespace PeerConnect.Server.Tests;

/// <summary>The process environment is shared: these run alone, after the in-process servers of the other classes.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class InlineSocketCompletionsTests
{
    [Fact]
    public void OnByDefault() => WithVariable(null, () =>
    {
        InlineSocketCompletions.Apply(Configuration());
        Assert.Equal("1", Environment.GetEnvironmentVariable(InlineSocketCompletions.EnvironmentVariable));
    });

    [Fact]
    public void ConfigurationTurnsItOff() => WithVariable(null, () =>
    {
        InlineSocketCompletions.Apply(Configuration(("PeerConnect:Sockets:InlineCompletions", "false")));
        Assert.Null(Environment.GetEnvironmentVariable(InlineSocketCompletions.EnvironmentVariable));
    });

    [Fact]
    public void EnvironmentWinsOverConfiguration() => WithVariable("0", () =>
    {
        InlineSocketCompletions.Apply(Configuration(("PeerConnect:Sockets:InlineCompletions", "true")));
        Assert.Equal("0", Environment.GetEnvironmentVariable(InlineSocketCompletions.EnvironmentVariable));
    });

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();

    private static void WithVariable(string? value, Action test)
    {
        var saved = Environment.GetEnvironmentVariable(InlineSocketCompletions.EnvironmentVariable);
        Environment.SetEnvironmentVariable(InlineSocketCompletions.EnvironmentVariable, value);
        try
        {
            test();
        }
        finally
        {
            Environment.SetEnvironmentVariable(InlineSocketCompletions.EnvironmentVariable, saved);
        }
    }
}
