using System.Globalization;
using System.Text.Json;
using PeerConnect.Ice.Servers;
using PeerConnect.Stun.NatBehavior;

namespace PeerConnect.Cli;

/// <summary>Prints a doctor report in plain words or as JSON.</summary>
internal static class DoctorOutput
{
    public static void WriteText(TextWriter output, DoctorReport report)
    {
        output.WriteLine($"Host candidates:   {(report.HostAddresses.Count == 0 ? "none (no usable interface)" : string.Join(", ", report.HostAddresses))}");
        if (report.Servers.Count == 0)
        {
            output.WriteLine("ICE servers:       none configured (give --ice-servers FILE-or-URL)");
        }

        foreach (var server in report.Servers)
        {
            output.WriteLine();
            output.WriteLine($"{server.Url}{(server.Username is null ? "" : $" (user {server.Username})")}");
            if (server.Server is not null)
            {
                output.WriteLine($"  Server:          {server.Server} over {server.Transport.ToString().ToUpperInvariant()}");
            }

            output.WriteLine($"  Result:          {Describe(server)}");
            if (server.Kind == IceServerKind.Turn && server.Outcome is DoctorOutcome.Ok or DoctorOutcome.AuthenticationFailed)
            {
                output.WriteLine($"  Authentication:  {(server.Outcome == DoctorOutcome.Ok ? "accepted" : "REJECTED")}");
            }

            if (server.Relayed is not null)
            {
                output.WriteLine($"  relay candidate: {server.Relayed}");
            }

            if (server.ServerReflexive is not null)
            {
                output.WriteLine($"  srflx candidate: {server.ServerReflexive}");
            }

            if (server.RoundTrip is { } rtt)
            {
                string what = server.Kind == IceServerKind.Turn ? "Allocate time:   " : "Round trip:      ";
                string note = server.Kind == IceServerKind.Turn ? " (two round trips: the 401 challenge, then the signed Allocate)" : "";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}{rtt.TotalMilliseconds:0.###} ms{note}"));
            }

            if (server.Nat is { } nat)
            {
                output.WriteLine($"  NAT mapping:     {StunProbeOutput.Describe(nat.Mapping)}");
                output.WriteLine($"  NAT filtering:   {StunProbeOutput.Describe(nat.Filtering)}");
            }
            else if (server.Kind == IceServerKind.Stun && server.Outcome == DoctorOutcome.Ok)
            {
                output.WriteLine($"  NAT behaviour:   not tested ({server.NatNote})");
            }
        }

        output.WriteLine();
        output.WriteLine($"Verdict:           {Verdict(report)}");
    }

    public static void WriteJson(TextWriter output, DoctorReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("source", report.Source);
            json.WriteStartArray("host");
            foreach (var address in report.HostAddresses)
            {
                json.WriteStringValue(address.ToString());
            }

            json.WriteEndArray();
            json.WriteStartArray("servers");
            foreach (var server in report.Servers)
            {
                json.WriteStartObject();
                json.WriteString("url", server.Url);
                json.WriteString("kind", server.Kind?.ToString().ToLowerInvariant());
                json.WriteString("transport", server.Transport.ToString().ToLowerInvariant());
                json.WriteString("server", server.Server?.ToString());
                json.WriteBoolean("ok", server.Outcome == DoctorOutcome.Ok);
                json.WriteString("outcome", Name(server.Outcome));
                json.WriteString("error", server.Error);
                if (server.Kind == IceServerKind.Turn)
                {
                    json.WriteString("username", server.Username);
                    json.WriteString("authentication", server.Outcome switch
                    {
                        DoctorOutcome.Ok => "accepted",
                        DoctorOutcome.AuthenticationFailed => "rejected",
                        _ => "unknown",
                    });
                }

                json.WriteString("srflx", server.ServerReflexive?.ToString());
                json.WriteString("relay", server.Relayed?.ToString());
                if (server.RoundTrip is { } rtt)
                {
                    json.WriteNumber(server.Kind == IceServerKind.Turn ? "allocateMs" : "rttMs", Math.Round(rtt.TotalMilliseconds, 3));
                }

                if (server.Nat is { } nat)
                {
                    json.WriteStartObject("nat");
                    json.WriteBoolean("behindNat", nat.BehindNat);
                    json.WriteString("mapping", StunProbeOutput.Name(nat.Mapping));
                    json.WriteString("filtering", StunProbeOutput.Name(nat.Filtering));
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNull("nat");
                }

                json.WriteString("natNote", server.NatNote);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("candidates");
            json.WriteBoolean("host", report.HostAddresses.Count > 0);
            json.WriteBoolean("srflx", report.HasServerReflexive);
            json.WriteBoolean("relay", report.HasRelay);
            json.WriteEndObject();
            json.WriteString("verdict", Verdict(report));
            json.WriteNumber("exitCode", report.ExitCode);
            json.WriteEndObject();
        }

        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static string Describe(DoctorServerReport server) => server.Outcome switch
    {
        DoctorOutcome.Ok => server.Kind == IceServerKind.Turn ? "ok: relay allocated" : "ok: server-reflexive address learned",
        DoctorOutcome.AuthenticationFailed => $"FAILED, authentication: {server.Error}",
        DoctorOutcome.Unreachable => $"FAILED, unreachable: {server.Error}",
        DoctorOutcome.Timeout => $"FAILED, no answer: {server.Error}",
        DoctorOutcome.Misconfigured => $"FAILED, bad entry: {server.Error}",
        _ => $"FAILED, server error: {server.Error}",
    };

    private static string Name(DoctorOutcome outcome) => outcome switch
    {
        DoctorOutcome.Ok => "ok",
        DoctorOutcome.AuthenticationFailed => "authentication-failed",
        DoctorOutcome.Unreachable => "unreachable",
        DoctorOutcome.Timeout => "timeout",
        DoctorOutcome.Misconfigured => "misconfigured",
        _ => "server-error",
    };

    /// <summary>What the gathered candidate types mean for a call (RFC 8445 §2: relay works where direct paths do not).</summary>
    private static string Verdict(DoctorReport report)
    {
        bool symmetric = report.Servers.Any(s => s.Nat is { Mapping: NatMappingBehavior.AddressDependent or NatMappingBehavior.AddressAndPortDependent });
        if (report.HasRelay)
        {
            return "calls can connect from any network: a TURN relay works, so even symmetric NATs and UDP-blocking firewalls are covered.";
        }

        if (report.HasServerReflexive)
        {
            return symmetric
                ? "your NAT maps each destination to a new port (symmetric): direct connections will often fail, and no TURN relay works."
                : "direct connections through most NATs should work (srflx), but no TURN relay works: peers behind symmetric NATs or UDP-blocking firewalls will fail.";
        }

        return "only host candidates: calls connect only between peers on the same network.";
    }
}
