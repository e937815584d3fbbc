using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace PeerConnect.IceBenchmark;

/// <summary>A process in a lab namespace that speaks JSON lines on stdin/stdout; other output is kept for errors.</summary>
internal sealed class JsonLinesProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _lines = Channel.CreateUnbounded<JsonObject>();
    private readonly System.Text.StringBuilder _other = new();

    private JsonLinesProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
            }
            else if (e.Data.StartsWith('{'))
            {
                _lines.Writer.TryWrite(JsonNode.Parse(e.Data)!.AsObject());
            }
            else
            {
                Keep(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Starts <paramref name="program"/> inside network namespace <paramref name="ns"/>.</summary>
    public static JsonLinesProcess StartInNamespace(string ns, string name, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", ns, program, .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new JsonLinesProcess(Process.Start(info) ?? throw new InvalidOperationException("ip netns exec did not start"), name);
    }

    public void Send(object message)
    {
        lock (_process)
        {
            _process.StandardInput.WriteLine(System.Text.Json.JsonSerializer.Serialize(message));
            _process.StandardInput.Flush();
        }
    }

    /// <summary>The next line, which must be of <paramref name="type"/>.</summary>
    public async Task<JsonObject> ReadAsync(string type, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            var line = await _lines.Reader.ReadAsync(cts.Token);
            return (string?)line["type"] == type ? line : throw new InvalidOperationException($"{Name} answered {line.ToJsonString()}, expected {type}");
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"{Name} gave no '{type}' within {timeout.TotalSeconds} s: {Output}", e);
        }
    }

    private string Output
    {
        get
        {
            lock (_other)
            {
                return _other.ToString();
            }
        }
    }

    private void Keep(string? line)
    {
        lock (_other)
        {
            _other.AppendLine(line);
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
