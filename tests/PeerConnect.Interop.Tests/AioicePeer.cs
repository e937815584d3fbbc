using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerConnect.Interop.Tests;

/// <summary>
/// aiortc's ICE agent (Debian's python3-aioice) in a child Python process, driven over JSON lines on stdin/stdout:
/// it prints its parameters and candidates, reads ours, connects, and then sends one datagram and echoes one back.
/// Host candidates are pinned to 127.0.0.1 so only loopback carries the test's traffic.
/// </summary>
internal sealed class AioicePeer : IAsyncDisposable
{
    /// <summary>The Debian interpreter: the one python3-aioice is installed for, whatever pyenv puts on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    private const string Script = """
        import asyncio, json, sys, time
        import aioice
        import aioice.ice

        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

        def emit(obj):
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

        async def main():
            controlling = sys.argv[1] == "controlling"
            loop = asyncio.get_event_loop()
            conn = aioice.Connection(ice_controlling=controlling, components=1, use_ipv4=True, use_ipv6=False)
            await conn.gather_candidates()
            emit({"ufrag": conn.local_username, "pwd": conn.local_password,
                  "candidates": [c.to_sdp() for c in conn.local_candidates]})
            remote = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
            conn.remote_username = remote["ufrag"]
            conn.remote_password = remote["pwd"]
            for line in remote["candidates"]:
                await conn.add_remote_candidate(aioice.Candidate.from_sdp(line))
            await conn.add_remote_candidate(None)
            started = time.perf_counter()
            await asyncio.wait_for(conn.connect(), 30)
            emit({"connected": True, "elapsed_ms": (time.perf_counter() - started) * 1000})
            await conn.send(bytes([23]) + b"hello from aioice")
            data = await asyncio.wait_for(conn.recv(), 30)
            await conn.send(bytes([128]) + data[1:])
            emit({"received": data.hex()})
            await loop.run_in_executor(None, sys.stdin.readline)
            await conn.close()

        asyncio.run(main())
        """;

    private readonly Process _process;
    private readonly string _scriptPath;

    private AioicePeer(Process process, string scriptPath)
    {
        _process = process;
        _scriptPath = scriptPath;
    }

    public static bool IsInstalled()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(Python, ["-c", "import aioice"]) { RedirectStandardError = true })!;
            p.WaitForExit(30_000);
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public static AioicePeer Start(bool controlling)
    {
        string path = Path.Combine(Path.GetTempPath(), $"peerconnect-aioice-{Guid.NewGuid():N}.py");
        File.WriteAllText(path, Script);
        var info = new ProcessStartInfo(Python, [path, controlling ? "controlling" : "controlled"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        return new AioicePeer(process, path);
    }

    public async Task<JsonObject> ReadAsync(CancellationToken cancellationToken)
    {
        string? line = await _process.StandardOutput.ReadLineAsync(cancellationToken);
        if (line is null)
        {
            string error = await _process.StandardError.ReadToEndAsync(cancellationToken);
            throw new InvalidOperationException("aioice exited: " + error);
        }

        return JsonNode.Parse(line)!.AsObject();
    }

    public async Task WriteAsync(object message)
    {
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(message));
        await _process.StandardInput.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("{}");
            await _process.StandardInput.FlushAsync();
        }
        catch (IOException)
        {
            // Already gone.
        }

        if (!_process.WaitForExit(5000))
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        File.Delete(_scriptPath);
    }
}
