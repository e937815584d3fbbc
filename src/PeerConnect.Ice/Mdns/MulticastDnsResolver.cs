using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using PeerConnect.Ice.Network;
using PeerConnect.Stun.Transport;

namespace PeerConnect.Ice.Mdns;

/// <summary>
/// Resolves the <c>*.local</c> host candidates browsers send (draft-ietf-mmusic-mdns-ice-candidates) with one-shot
/// Multicast DNS queries (RFC 6762 §5.1): an A + AAAA query from an ephemeral port to 224.0.0.251:5353 and
/// [ff02::fb]:5353, answered by unicast to that port (§6.7), repeated every <see cref="RetryInterval"/> until an
/// answer or the caller's token (the agent's resolution timeout). Names outside <c>.local</c> resolve to nothing.
/// </summary>
public sealed class MulticastDnsResolver : IIceHostNameResolver
{
    /// <summary>The mDNS IPv4 group and port (RFC 6762 §3).</summary>
    public static readonly IPEndPoint IPv4Group = new(IPAddress.Parse("224.0.0.251"), 5353);

    /// <summary>The mDNS IPv6 link-local group and port (RFC 6762 §3).</summary>
    public static readonly IPEndPoint IPv6Group = new(IPAddress.Parse("ff02::fb"), 5353);

    /// <summary>Time between repeats of an unanswered query. RFC 6762 §5.1 leaves one-shot retries to the resolver.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    private readonly Func<AddressFamily, IDatagramTransport?> _bind;
    private readonly TimeProvider _time;

    /// <summary>A resolver on the machine's multicast-capable interfaces.</summary>
    public MulticastDnsResolver()
        : this(BindMulticast, TimeProvider.System)
    {
    }

    /// <summary>For testing: sockets per address family (null to skip the family) and a clock.</summary>
    internal MulticastDnsResolver(Func<AddressFamily, IDatagramTransport?> bind, TimeProvider time)
    {
        _bind = bind;
        _time = time;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string hostName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostName);
        string name = hostName.TrimEnd('.');
        // RFC 6762 §3: only names ending in ".local." are Multicast DNS names.
        if (!name.EndsWith(".local", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        ushort id = (ushort)RandomNumberGenerator.GetInt32(1, ushort.MaxValue + 1);
        var query = new byte[MdnsMessage.MaxNameLength + 32];
        int length = MdnsMessage.WriteQuery(query, id, name);
        var sockets = new List<(IDatagramTransport Socket, IPEndPoint Group)>();
        try
        {
            foreach (var (family, group) in new[] { (AddressFamily.InterNetwork, IPv4Group), (AddressFamily.InterNetworkV6, IPv6Group) })
            {
                if (_bind(family) is { } socket)
                {
                    sockets.Add((socket, group));
                }
            }

            if (sockets.Count == 0)
            {
                return [];
            }

            using var answered = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var result = new TaskCompletionSource<IReadOnlyList<IPAddress>>(TaskCreationOptions.RunContinuationsAsynchronously);
            var receivers = sockets.Select(s => ReceiveAsync(s.Socket, id, name, result, answered.Token)).ToList();
            try
            {
                while (!result.Task.IsCompleted)
                {
                    foreach (var (socket, group) in sockets)
                    {
                        try
                        {
                            await socket.SendAsync(query.AsMemory(0, length), group, cancellationToken).ConfigureAwait(false);
                        }
                        catch (SocketException)
                        {
                            // No route for this family's group (e.g. no multicast interface): the other may still answer.
                        }
                    }

                    await Task.WhenAny(result.Task, Task.Delay(RetryInterval, _time, cancellationToken)).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return [];
            }
            finally
            {
                await answered.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(receivers).ConfigureAwait(false);
            }

            return await result.Task.ConfigureAwait(false);
        }
        finally
        {
            foreach (var (socket, _) in sockets)
            {
                await socket.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task ReceiveAsync(IDatagramTransport socket, ushort id, string name, TaskCompletionSource<IReadOnlyList<IPAddress>> result, CancellationToken cancellationToken)
    {
        var buffer = new byte[MdnsMessage.MaxMessageLength];
        var addresses = new List<IPAddress>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var received = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                addresses.Clear();
                try
                {
                    ushort answerId = MdnsMessage.ReadAnswers(buffer.AsSpan(0, received.Count), name, addresses);
                    // §6.7 legacy unicast answers echo the ID; §18.1 multicast ones carry 0.
                    if ((answerId == id || answerId == 0) && addresses.Count > 0)
                    {
                        result.TrySetResult([.. addresses]);
                        return;
                    }
                }
                catch (MdnsFormatException)
                {
                    // Anyone on the link can send to our port; a malformed datagram is not an answer.
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static IDatagramTransport? BindMulticast(AddressFamily family)
    {
        if (family == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6)
        {
            return null;
        }

        try
        {
            var transport = UdpDatagramTransport.BindAny(family);
            return transport;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
