using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace PeerConnect.NatLab.Tests;

/// <summary>A helper process in a lab namespace, speaking JSON lines; every line it prints is kept for assertions.</summary>
internal sealed class LabProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<JsonObject> _lines = Channel.CreateUnbounded<JsonObject>();
    private readonly List<JsonObject> _seen = [];
    private readonly System.Text.StringBuilder _stderr = new();

    private LabProcess(Process process, string name)
    {
        _process = process;
        Name = name;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.Writer.TryComplete();
                return;
            }

            if (e.Data.StartsWith('{'))
            {
                var message = JsonNode.Parse(e.Data)!.AsObject();
                lock (_seen)
                {
                    _seen.Add(message);
                }

                _lines.Writer.TryWrite(message);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public ChannelReader<JsonObject> Lines => _lines.Reader;

    public IReadOnlyList<JsonObject> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static LabProcess StartInNamespace(string ns, string name, params string[] arguments)
    {
        var info = new ProcessStartInfo("ip", ["netns", "exec", ns, "dotnet", NatLab.HelperPath, .. arguments])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new LabProcess(Process.Start(info) ?? throw new InvalidOperationException("ip netns exec did not start"), name);
    }

    public void Send(JsonObject message)
    {
        lock (_process)
        {
            _process.StandardInput.WriteLine(message.ToJsonString());
            _process.StandardInput.Flush();
        }
    }

    /// <summary>The first line, printed so far or later, that matches. Lines stay in <see cref="Seen"/>, so waiters never steal from <see cref="Lines"/>.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (Seen.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            if (_process.HasExited && _lines.Reader.Completion.IsCompleted)
            {
                throw new InvalidOperationException($"{Name} exited: {StandardError}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(3000))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }
}
