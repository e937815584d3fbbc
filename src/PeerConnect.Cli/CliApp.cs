using PeerConnect.Ice.Servers;
using PeerConnect.Turn.Client;
using System.Globalization;

namespace PeerConnect.Cli;

/// <summary>The peerconnect command: argument parsing and dispatch, with the console passed in so tests run it in-process.</summary>
internal static class CliApp
{
    public const string Usage = """
        Usage: peerconnect stun probe <stun-uri> [--json] [--timeout <duration>]
               peerconnect doctor [--ice-servers <file-or-url>] [--token <jwt>] [--insecure-tls] [--json] [--timeout <duration>]

          <stun-uri>            stun:host[:port][?transport=udp|tcp] or stuns:host[:port] (TLS).
                                IPv6 literals in brackets: stun:[::1]:3478. Default port 3478 (stuns: 5349).
          --json                Print the result as JSON.
          --timeout <duration>  Give up after this long: 3 (seconds), 2.5s or 500ms. Default 3s,
                                rather than RFC 8489's 39.5 s, so a dead server fails fast. Over UDP
                                against an RFC 5780 server, each NAT behaviour test gets this long too.

        Prints the mapped (public) address, the server's SOFTWARE and the round-trip time; when the server
        supports RFC 5780 (OTHER-ADDRESS), also the NAT mapping and filtering behaviour.

        doctor: what an ICE agent on this machine would gather, server by server.
          --ice-servers <file-or-url>  An RTCIceServer list as GET /api/ice-servers returns it:
                                [{"urls":["stun:host:3478","turn:host:3478?transport=tcp"],
                                  "username":"...","credential":"..."}]
                                A file, or an http(s) URL fetched with --token as a Bearer token.
          --token <jwt>         Signaling token for an --ice-servers URL.
          --insecure-tls        Accept any certificate from turns: servers (self-signed, wrong name, expired),
                                to test a server before it has a real certificate. Off by default; never
                                for production, as it lets anyone on the path pose as the TURN server.
          Prints host addresses; per STUN server the srflx address, round trip and NAT behaviour; per TURN
          server whether authentication was accepted, the relay and srflx addresses and the Allocate time;
          then what that means for calls. --timeout applies to each server.

        Exit codes:
          0  success
          1  unexpected error
          2  bad arguments or URI
          3  server unreachable (refused, unresolvable, TLS or connection failure)
          4  no answer before the timeout
          5  the server answered with an error or an unusable response
          6  a TURN server rejected the username or credential (doctor)
        """;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args.Any(a => a is "-h" or "--help" or "-?"))
        {
            output.WriteLine(Usage);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Success;
        }
        if (args[0] == "doctor")
        {
            return await RunDoctorAsync(args[1..], output, error, cancellationToken).ConfigureAwait(false);
        }

        if (args.Length < 2 || args[0] != "stun" || args[1] != "probe")
        {
            error.WriteLine($"peerconnect: unknown command '{string.Join(' ', args.Take(2))}'; try peerconnect --help");
            return ExitCodes.Usage;
        }
        if (!TryParseProbeArguments(args[2..], out var uri, out bool json, out var timeout, out string? problem))
        {
            error.WriteLine($"peerconnect: {problem}");
            return ExitCodes.Usage;
        }
        return await GuardAsync(async () =>
        {
            var report = await StunProbe.RunAsync(uri!, timeout, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                StunProbeOutput.WriteJson(output, report);
            }
            else
            {
                StunProbeOutput.WriteText(output, report);
            }
            return ExitCodes.Success;
        }, error, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunDoctorAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        string? source = null, token = null;
        bool json = false, insecureTls = false;
        TimeSpan timeout = DefaultTimeout;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--json":
                    json = true;
                    break;
                case "--ice-servers":
                    source = Value();
                    if (source is null)
                    {
                        error.WriteLine("peerconnect: --ice-servers needs a file or an http(s) URL");
                        return ExitCodes.Usage;
                    }

                    break;
                case "--token":
                    token = Value();
                    break;
                case "--insecure-tls":
                    insecureTls = true;
                    break;
                case "--timeout":
                    string? value = Value();
                    if (value is null || !TryParseDuration(value, out timeout))
                    {
                        error.WriteLine($"peerconnect: --timeout needs a positive duration such as 3, 2.5s or 500ms, not '{value}'");
                        return ExitCodes.Usage;
                    }

                    break;
                default:
                    error.WriteLine($"peerconnect: unexpected argument '{arg}' for doctor; try peerconnect --help");
                    return ExitCodes.Usage;
            }
        }

        return await GuardAsync(async () =>
        {
            var servers = source is null ? [] : await IceServerList.LoadAsync(source, token, timeout, cancellationToken).ConfigureAwait(false);
            // RFC 8656 §3.1 TURN over TLS normally authenticates the server; --insecure-tls is the explicit opt-out.
            Func<TurnClientOptions, TurnClientOptions>? configureTurn = insecureTls
                ? o => o with { TlsCertificateValidation = (_, _, _, _) => true }
                : null;
            var report = await Doctor.RunAsync(source, servers, timeout, configureTurn, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                DoctorOutput.WriteJson(output, report);
            }
            else
            {
                DoctorOutput.WriteText(output, report);
            }

            return report.ExitCode;
        }, error, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a command and turns every failure into one line on stderr and an exit code.</summary>
    private static async Task<int> GuardAsync(Func<Task<int>> command, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            return await command().ConfigureAwait(false);
        }
        catch (ProbeFailedException e)
        {
            error.WriteLine($"peerconnect: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("peerconnect: cancelled");
            return ExitCodes.UnexpectedError;
        }
#pragma warning disable CA1031 // The last line of defence of a command-line tool: one line, not a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error.WriteLine($"peerconnect: unexpected error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.UnexpectedError;
        }
    }

    private static bool TryParseProbeArguments(string[] args, out IceServerUri? uri, out bool json, out TimeSpan timeout, out string? problem)
    {
        uri = null;
        json = false;
        timeout = DefaultTimeout;
        problem = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg == "--json")
            {
                json = true;
            }
            else if (arg == "--timeout" || arg.StartsWith("--timeout=", StringComparison.Ordinal))
            {
                string? value = arg.Length > "--timeout".Length ? arg["--timeout=".Length..] : (i + 1 < args.Length ? args[++i] : null);
                if (value is null || !TryParseDuration(value, out timeout))
                {
                    problem = $"--timeout needs a positive duration such as 3, 2.5s or 500ms, not '{value}'";
                    return false;
                }
            }
            else if (arg.StartsWith('-'))
            {
                problem = $"unknown option '{arg}'; try peerconnect --help";
                return false;
            }
            else if (uri is null)
            {
                try
                {
                    uri = IceServerUri.Parse(arg);
                    if (uri.Kind != IceServerKind.Stun)
                    {
                        problem = $"'{arg}' is not a STUN URI: stun probe takes stun: or stuns: (doctor checks TURN servers).";
                        return false;
                    }
                }
                catch (FormatException e)
                {
                    problem = e.Message;
                    return false;
                }
            }
            else
            {
                problem = $"unexpected argument '{arg}'";
                return false;
            }
        }
        if (uri is null)
        {
            problem = "stun probe needs a STUN URI, e.g. stun:stun.example.org:3478";
            return false;
        }
        return true;
    }

    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        double scale = 1;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scale = 0.001;
            text = text[..^2];
        }
        else if (text.EndsWith('s') || text.EndsWith('S'))
        {
            text = text[..^1];
        }
        bool ok = double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && value > 0 && value * scale <= 3600;
        duration = ok ? TimeSpan.FromSeconds(value * scale) : default;
        return ok;
    }
}
