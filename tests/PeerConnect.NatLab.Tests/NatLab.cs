using System.Diagnostics;
using System.Text.Json.Nodes;

namespace PeerConnect.NatLab.Tests;

/// <summary>
/// One lab run: builds the namespaces with natlab.sh under a unique id, starts our STUN server in the public
/// namespace and one agent behind each NAT, relays their signalling (JSON lines), and removes everything in
/// <see cref="DisposeAsync"/> — also when the test failed.
/// </summary>
internal sealed class NatLab : IAsyncDisposable
{
    public const string StunAddress = "203.0.113.10";
    private readonly string _id = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant()[..6];
    private readonly List<LabProcess> _processes = [];
    private bool _up;

    public static string HelperPath { get; } = FindHelper();

    public LabProcess A { get; private set; } = null!;

    public LabProcess B { get; private set; } = null!;

    public static async Task<NatLab> StartAsync(string natA, string natB, CancellationToken cancellationToken)
    {
        var lab = new NatLab();
        try
        {
            await lab.RunScriptAsync("up", natA, natB);
            lab._up = true;
            var stun = lab.Start($"pc{lab._id}-pub", "stun", "stun", StunAddress, "3478");
            await stun.WaitForAsync(m => (string?)m["type"] == "ready", cancellationToken);
            lab.A = lab.Start($"pc{lab._id}-a", "A", "agent", "controlling", StunAddress + ":3478");
            lab.B = lab.Start($"pc{lab._id}-b", "B", "agent", "controlled", StunAddress + ":3478");
            _ = Relay(lab.A, lab.B);
            _ = Relay(lab.B, lab.A);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until both agents selected a pair and received the other's datagram; returns each side's last selection.</summary>
    public async Task<(JsonObject A, JsonObject B)> ConnectedAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(
            A.WaitForAsync(m => (string?)m["type"] == "received", cancellationToken),
            B.WaitForAsync(m => (string?)m["type"] == "received", cancellationToken));
        return (A.Seen.Last(m => (string?)m["type"] == "selected"), B.Seen.Last(m => (string?)m["type"] == "selected"));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes)
        {
            p.Dispose();
        }

        if (_up)
        {
            await RunScriptAsync("down");
        }
    }

    private static async Task Relay(LabProcess from, LabProcess to)
    {
        try
        {
            await foreach (var line in from.Lines.ReadAllAsync())
            {
                if ((string?)line["type"] is "params" or "candidate" or "end")
                {
                    to.Send(line);
                }
            }
        }
        catch (IOException)
        {
            // The peer process ended first.
        }
    }

    private LabProcess Start(string ns, string name, params string[] arguments)
    {
        var process = LabProcess.StartInNamespace(ns, name, arguments);
        _processes.Add(process);
        return process;
    }

    private async Task RunScriptAsync(params string[] arguments)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "natlab.sh");
        var info = new ProcessStartInfo("bash", [script, arguments[0], _id, .. arguments[1..]])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(info)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"natlab.sh {string.Join(' ', arguments)} failed: {error}");
        }
    }

    private static string FindHelper()
    {
        // tests/PeerConnect.NatLab.Tests/bin/<Configuration>/net10.0/ -> tests/PeerConnect.NatLab.Helper/bin/<Configuration>/net10.0/
        var dir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        string framework = dir.Name, configuration = dir.Parent!.Name;
        var tests = dir.Parent.Parent!.Parent!.Parent!;
        string path = Path.Combine(tests.FullName, "PeerConnect.NatLab.Helper", "bin", configuration, framework, "PeerConnect.NatLab.Helper.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build tests/PeerConnect.NatLab.Helper first.", path);
    }
}
