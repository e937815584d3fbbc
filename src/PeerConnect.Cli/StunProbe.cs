using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using PeerConnect.Ice.Servers;
using PeerConnect.Stun.Client;
using PeerConnect.Stun.NatBehavior;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Cli;

/// <summary>What <c>peerconnect stun probe</c> found.</summary>
internal sealed record StunProbeReport(
    IceServerUri Uri,
    IPEndPoint Server,
    StunBindingResult Binding,
    IPEndPoint? LocalEndPoint,
    NatBehaviorResult? Nat,
    string? NatError);

/// <summary>An expected failure of the probe: one line for stderr and its exit code.</summary>
internal sealed class ProbeFailedException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Runs one Binding transaction and, over UDP against an RFC 5780 server, NAT behaviour discovery.</summary>
internal static class StunProbe
{
    public static async Task<StunProbeReport> RunAsync(IceServerUri uri, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var server = await ResolveAsync(uri, cancellationToken).ConfigureAwait(false);
        using var deadline = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return uri.Transport == StunTransportProtocol.Udp
                ? await ProbeUdpAsync(uri, server, timeout, linked.Token).ConfigureAwait(false)
                : await ProbeStreamAsync(uri, server, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProbeFailedException(ExitCodes.Timeout, $"no answer from {Describe(uri, server)} within {timeout.TotalSeconds:0.###} s");
        }
        catch (StunTimeoutException)
        {
            throw new ProbeFailedException(ExitCodes.Timeout, $"no answer from {Describe(uri, server)}");
        }
        catch (SocketException e)
        {
            throw new ProbeFailedException(ExitCodes.Unreachable, $"cannot reach {Describe(uri, server)}: {e.Message}");
        }
        catch (AuthenticationException e)
        {
            throw new ProbeFailedException(ExitCodes.Unreachable, $"TLS with {Describe(uri, server)} failed: {e.Message}");
        }
        catch (IOException e)
        {
            throw new ProbeFailedException(ExitCodes.Unreachable, $"connection to {Describe(uri, server)} failed: {e.Message}");
        }
        catch (StunErrorResponseException e)
        {
            throw new ProbeFailedException(ExitCodes.ServerError, $"{Describe(uri, server)} answered with an error: {e.ErrorCode} {e.Reason}".TrimEnd());
        }
        catch (Exception e) when (e is StunInvalidResponseException or InvalidDataException)
        {
            throw new ProbeFailedException(ExitCodes.ServerError, $"{Describe(uri, server)} sent an unusable answer: {e.Message}");
        }
    }

    private static async Task<StunProbeReport> ProbeUdpAsync(IceServerUri uri, IPEndPoint server, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var client = StunClient.CreateUdp(server.AddressFamily);
        var binding = await client.BindingAsync(server, cancellationToken).ConfigureAwait(false);
        NatBehaviorResult? nat = null;
        string? natError = null;
        if (binding.OtherAddress is not null)
        {
            try
            {
                nat = await NatBehaviorDiscovery.RunAsync(client, server, new NatBehaviorDiscoveryOptions { TestTimeout = timeout }, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StunTimeoutException or StunErrorResponseException or StunInvalidResponseException or NatBehaviorNotSupportedException or SocketException)
            {
                natError = e.Message;
            }
        }
        return new StunProbeReport(uri, server, binding, nat?.LocalEndPoint ?? client.LocalEndPoint, nat, natError);
    }

    private static async Task<StunProbeReport> ProbeStreamAsync(IceServerUri uri, IPEndPoint server, CancellationToken cancellationToken)
    {
        var tls = uri.Transport == StunTransportProtocol.Tls ? new SslClientAuthenticationOptions { TargetHost = uri.Host } : null;
        await using var client = await StunStreamClient.ConnectAsync(server, tls, cancellationToken: cancellationToken).ConfigureAwait(false);
        var binding = await client.BindingAsync(cancellationToken).ConfigureAwait(false);
        return new StunProbeReport(uri, server, binding, client.LocalEndPoint, null, null);
    }

    private static async Task<IPEndPoint> ResolveAsync(IceServerUri uri, CancellationToken cancellationToken)
    {
        try
        {
            return await uri.ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new ProbeFailedException(ExitCodes.Unreachable, $"cannot resolve {uri.Host}: {e.Message}");
        }
    }

    private static string Describe(IceServerUri uri, IPEndPoint server) =>
        $"{server} over {uri.Transport.ToString().ToUpperInvariant()}";
}
