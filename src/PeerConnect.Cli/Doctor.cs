using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using PeerConnect.Ice.Network;
using PeerConnect.Ice.Servers;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.NatBehavior;
using PeerConnect.Stun.Transport;
using PeerConnect.Turn.Client;

namespace PeerConnect.Cli;

/// <summary>How one server check ended.</summary>
internal enum DoctorOutcome
{
    Ok,
    AuthenticationFailed,
    Unreachable,
    Timeout,
    ServerError,
    Misconfigured,
}

/// <summary>What one STUN or TURN URI gave.</summary>
/// <param name="Url">The URI as listed.</param>
/// <param name="Kind">STUN or TURN; null when the URI did not parse.</param>
/// <param name="Transport">Transport to the server.</param>
/// <param name="Username">The TURN username tried.</param>
/// <param name="Outcome">How the check ended.</param>
/// <param name="Error">Why it failed, in plain words.</param>
/// <param name="Server">The resolved server address.</param>
/// <param name="ServerReflexive">The srflx address the server saw (XOR-MAPPED-ADDRESS).</param>
/// <param name="Relayed">The relay address a TURN server allocated (XOR-RELAYED-ADDRESS).</param>
/// <param name="RoundTrip">STUN: one Binding round trip. TURN: the whole Allocate, two round trips (401 challenge, then the signed request).</param>
/// <param name="Nat">RFC 5780 NAT behaviour, when the STUN server supports it.</param>
/// <param name="NatNote">Why NAT behaviour is missing.</param>
internal sealed record DoctorServerReport(
    string Url,
    IceServerKind? Kind,
    StunTransportProtocol Transport,
    string? Username,
    DoctorOutcome Outcome,
    string? Error,
    IPEndPoint? Server = null,
    IPEndPoint? ServerReflexive = null,
    IPEndPoint? Relayed = null,
    TimeSpan? RoundTrip = null,
    NatBehaviorResult? Nat = null,
    string? NatNote = null);

/// <summary>Everything <c>peerconnect doctor</c> found.</summary>
internal sealed record DoctorReport(string? Source, IReadOnlyList<IPAddress> HostAddresses, IReadOnlyList<DoctorServerReport> Servers)
{
    public bool HasServerReflexive => Servers.Any(s => s.ServerReflexive is not null);

    public bool HasRelay => Servers.Any(s => s.Relayed is not null);

    /// <summary>0 when every server worked; otherwise the code of the first failure.</summary>
    public int ExitCode => Servers.FirstOrDefault(s => s.Outcome != DoctorOutcome.Ok)?.Outcome switch
    {
        null or DoctorOutcome.Ok => ExitCodes.Success,
        DoctorOutcome.AuthenticationFailed => ExitCodes.AuthenticationFailed,
        DoctorOutcome.Unreachable => ExitCodes.Unreachable,
        DoctorOutcome.Timeout => ExitCodes.Timeout,
        DoctorOutcome.Misconfigured => ExitCodes.Usage,
        _ => ExitCodes.ServerError,
    };
}

/// <summary>
/// Gathers what an ICE agent would gather (RFC 8445 §5.1.1), one server at a time so each result is attributable:
/// host addresses, a Binding per STUN URI (srflx, round trip, RFC 5780 NAT behaviour over UDP) and an Allocate per
/// TURN URI through our <see cref="TurnClient"/> (authentication, relay and srflx addresses, Allocate time).
/// </summary>
internal static class Doctor
{
    public static async Task<DoctorReport> RunAsync(string? source, IReadOnlyList<IceServer> servers, TimeSpan timeout, Func<TurnClientOptions, TurnClientOptions>? configureTurn, CancellationToken cancellationToken)
    {
        IReadOnlyList<IPAddress> hosts;
        try
        {
            hosts = SystemIceSocketFactory.Instance.GetHostAddresses(includeLoopback: false);
        }
        catch (Exception e) when (e is System.Net.NetworkInformation.NetworkInformationException or SocketException)
        {
            hosts = [];
        }

        var results = new List<DoctorServerReport>();
        foreach (IceServer server in servers)
        {
            foreach (string url in server.Urls)
            {
                results.Add(await CheckAsync(url, server, timeout, configureTurn, cancellationToken).ConfigureAwait(false));
            }
        }

        return new DoctorReport(source, hosts, results);
    }

    private static async Task<DoctorServerReport> CheckAsync(string url, IceServer server, TimeSpan timeout, Func<TurnClientOptions, TurnClientOptions>? configureTurn, CancellationToken cancellationToken)
    {
        IceServerUri uri;
        try
        {
            uri = IceServerUri.Parse(url);
        }
        catch (FormatException e)
        {
            return new DoctorServerReport(url, null, StunTransportProtocol.Udp, null, DoctorOutcome.Misconfigured, e.Message);
        }

        return uri.Kind == IceServerKind.Stun
            ? await CheckStunAsync(url, uri, timeout, cancellationToken).ConfigureAwait(false)
            : await CheckTurnAsync(url, uri, server, timeout, configureTurn, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<DoctorServerReport> CheckStunAsync(string url, IceServerUri uri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var probe = await StunProbe.RunAsync(uri, timeout, cancellationToken).ConfigureAwait(false);
            string? natNote = probe.NatError ?? (probe.Nat is not null ? null
                : uri.Transport != StunTransportProtocol.Udp ? "RFC 5780 tests run over UDP only"
                : "the server does not support RFC 5780 (no OTHER-ADDRESS)");
            return new DoctorServerReport(url, uri.Kind, uri.Transport, null, DoctorOutcome.Ok, null, probe.Server,
                ServerReflexive: probe.Binding.MappedAddress, RoundTrip: probe.Binding.RoundTripTime, Nat: probe.Nat, NatNote: natNote);
        }
        catch (ProbeFailedException e)
        {
            var outcome = e.ExitCode switch
            {
                ExitCodes.Timeout => DoctorOutcome.Timeout,
                ExitCodes.Unreachable => DoctorOutcome.Unreachable,
                _ => DoctorOutcome.ServerError,
            };
            return new DoctorServerReport(url, uri.Kind, uri.Transport, null, outcome, e.Message);
        }
    }

    private static async Task<DoctorServerReport> CheckTurnAsync(string url, IceServerUri uri, IceServer server, TimeSpan timeout, Func<TurnClientOptions, TurnClientOptions>? configureTurn, CancellationToken cancellationToken)
    {
        DoctorServerReport Failed(DoctorOutcome outcome, string error, IPEndPoint? address = null) =>
            new(url, uri.Kind, uri.Transport, server.Username, outcome, error, address);

        if (string.IsNullOrEmpty(server.Username) || string.IsNullOrEmpty(server.Credential))
        {
            return Failed(DoctorOutcome.Misconfigured, "the list gives this TURN server no username and credential");
        }

        IPEndPoint address;
        try
        {
            address = await uri.ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return Failed(DoctorOutcome.Unreachable, $"cannot resolve {uri.Host}: {e.Message}");
        }

        string where = $"{address} over {uri.Transport.ToString().ToUpperInvariant()}";
        var provider = new TurnRelayProvider(uri, server.Username, server.Credential, o =>
        {
            o = o with { CloseTimeout = timeout };
            return configureTurn?.Invoke(o) ?? o;
        });
        using var deadline = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        TurnClient? client = null;
        try
        {
            client = await provider.ConnectAsync(linked.Token).ConfigureAwait(false);
            long started = Stopwatch.GetTimestamp();
            TurnAllocation allocation = await client.AllocateAsync(linked.Token).ConfigureAwait(false);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
            return new DoctorServerReport(url, uri.Kind, uri.Transport, server.Username, DoctorOutcome.Ok, null, address,
                ServerReflexive: allocation.MappedEndPoint, Relayed: allocation.RelayedEndPoint, RoundTrip: elapsed);
        }
        catch (StunErrorResponseException e) when (e.ErrorCode is 401 or 441)
        {
            // RFC 8656 §7.1 / RFC 8489 §9.2.4: a 401 to a request that already carried MESSAGE-INTEGRITY means the
            // credentials are wrong (441 Wrong Credentials is the TURN server's word for the same).
            string code = $"{e.ErrorCode} {e.Reason}".TrimEnd();
            return Failed(DoctorOutcome.AuthenticationFailed, $"{where} rejected username '{server.Username}' and its credential ({code}): wrong username or password, or expired TURN REST credentials", address);
        }
        catch (StunErrorResponseException e)
        {
            return Failed(DoctorOutcome.ServerError, $"{where} refused the allocation: {e.ErrorCode} {e.Reason}".TrimEnd(), address);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Failed(DoctorOutcome.Timeout, $"no answer from {where} within {timeout.TotalSeconds:0.###} s", address);
        }
        catch (StunTimeoutException)
        {
            return Failed(DoctorOutcome.Timeout, $"no answer from {where}", address);
        }
        catch (Exception e) when (e is SocketException or IOException or TurnAllocationLostException)
        {
            return Failed(DoctorOutcome.Unreachable, $"cannot reach {where}: {e.Message}", address);
        }
        catch (AuthenticationException e)
        {
            return Failed(DoctorOutcome.Unreachable, $"TLS with {where} failed: {e.Message}", address);
        }
        finally
        {
            if (client is not null)
            {
                // Releases the allocation (Refresh with LIFETIME 0, RFC 8656 §8) so the check leaves nothing behind.
                await client.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
