using System.Buffers.Binary;
using System.Buffers;
using PeerConnect.Stun;

namespace PeerConnect.Turn.Server;

/// <summary>
/// The relay path: Send indications and ChannelData from the client to peers (RFC 8656 §11.2, §12.5), and peer
/// datagrams back as ChannelData or Data indications (§11.3, §12.6). Nothing here allocates per packet: lookups are
/// dictionary reads keyed by value types, and each receive thread (<see cref="RelayReceiveThreads"/>) or relay loop
/// owns one buffer it receives into at an offset that leaves room for the header in front.
/// </summary>
public sealed partial class TurnServer
{
    private void RelayChannelData(TurnFiveTuple fiveTuple, ReadOnlySpan<byte> packet)
    {
        // RFC 8656 §12.5: a ChannelData message shorter than its length field is discarded; over UDP longer is padding.
        ushort number = BinaryPrimitives.ReadUInt16BigEndian(packet);
        int length = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (!IsValidChannel(number) || length > packet.Length - ChannelDataFrame.HeaderLength || Find(fiveTuple) is not { } allocation)
        {
            _metrics.Dropped("no_allocation");
            return;
        }
        var data = packet.Slice(ChannelDataFrame.HeaderLength, length);
        long now = Now;
        TurnAddress peer;
        lock (allocation.Sync)
        {
            var binding = allocation.ChannelByNumber(number);
            if (binding is null || binding.Expires <= now || !allocation.HasPermission(binding.Peer, now))
            {
                // An unbound channel, or one whose binding or permission lapsed: silently discarded (§12.5).
                _metrics.Dropped("no_channel");
                return;
            }
            if (!allocation.TryTakeToPeer(data.Length, now))
            {
                _metrics.Dropped("bandwidth");
                return;
            }
            peer = binding.Peer;
        }
        SendToPeer(allocation, peer, data, allocation.DontFragment);
    }

    private void RelaySendIndication(TurnFiveTuple fiveTuple, StunMessageReader indication)
    {
        // RFC 8656 §11.2: needs XOR-PEER-ADDRESS and DATA, an allocation and a permission; otherwise silently discarded.
        if (Find(fiveTuple) is not { } allocation
            || !indication.TryGetAttribute(StunAttributeType.XorPeerAddress, out var value)
            || !XorAddress.TryRead(value, indication.Message, out var peer)
            || !indication.TryGetAttribute(StunAttributeType.Data, out var data))
        {
            _metrics.Dropped("bad_send_indication");
            return;
        }
        if (allocation.Tcp is not null)
        {
            // RFC 6062 §4: a TCP allocation relays over its data connections only; drop before the bandwidth budget is spent.
            _metrics.Dropped("tcp_allocation");
            return;
        }
        long now = Now;
        lock (allocation.Sync)
        {
            if (!allocation.HasPermission(peer, now))
            {
                _metrics.Dropped("no_permission");
                return;
            }
            if (!allocation.TryTakeToPeer(data.Length, now))
            {
                _metrics.Dropped("bandwidth");
                return;
            }
        }
        SendToPeer(allocation, peer, data, allocation.DontFragment || indication.HasAttribute(StunAttributeType.DontFragment));
    }

    private void SendToPeer(TurnAllocation allocation, TurnAddress peer, ReadOnlySpan<byte> data, bool dontFragment)
    {
        if (allocation.RelayFor(peer) is { } relay && relay.Send(data, peer, dontFragment))
        {
            _metrics.RelayedToPeer(data.Length);
        }
        else
        {
            _metrics.Dropped("send_failed");
        }
    }

    private void StartRelayLoops(TurnAllocation allocation)
    {
        foreach (var relay in allocation.Relays)
        {
            if (_relayThreads is not null && relay is UdpRelaySocket udp && _relayThreads.TryRegister(udp, allocation))
            {
                continue;
            }
            _ = Task.Run(() => RelayLoopAsync(allocation, relay), CancellationToken.None);
        }
    }

    private async Task RelayLoopAsync(TurnAllocation allocation, ITurnRelaySocket relay)
    {
        int capacity = DataIndication.MaxPrefixLength + _options.MaxRelayDatagramLength + 4;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        var token = allocation.Closing.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                TurnRelayReceiveResult received;
                try
                {
                    received = await relay.ReceiveAsync(buffer.AsMemory(DataIndication.MaxPrefixLength, _options.MaxRelayDatagramLength), token).ConfigureAwait(false);
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (System.Net.Sockets.SocketException)
                {
                    // ICMP errors about earlier sends surface here on Linux; the socket is still usable.
                    continue;
                }
                RelayToClient(allocation, buffer, received);
            }
        }
#pragma warning disable CA1031 // A failing relay loop ends its allocation's reception, never the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            TurnServerLog.RelayLoopFailed(_logger, e, relay.LocalAddress.ToEndPoint());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One peer datagram, received at <see cref="DataIndication.MaxPrefixLength"/> in <paramref name="buffer"/>.</summary>
    private void RelayToClient(TurnAllocation allocation, byte[] buffer, TurnRelayReceiveResult received)
    {
        long now = Now;
        ushort channel = 0;
        lock (allocation.Sync)
        {
            // RFC 8656 §11.3: no permission for the peer's IP → discard.
            if (!allocation.HasPermission(received.Peer, now))
            {
                _metrics.Dropped("no_permission");
                return;
            }
            if (!allocation.TryTakeToClient(received.Count, now))
            {
                _metrics.Dropped("bandwidth");
                return;
            }
            if (allocation.ChannelByPeer(received.Peer) is { } binding && binding.Expires > now)
            {
                channel = binding.Number;
            }
        }
        int start, length;
        if (channel != 0)
        {
            // §12.6 (ChannelData to the client, padded to 4 over streams).
            start = DataIndication.MaxPrefixLength - ChannelDataFrame.HeaderLength;
            length = ChannelDataFrame.FrameLength(received.Count, allocation.FiveTuple.IsStream);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(start), channel);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(start + 2), (ushort)received.Count);
            buffer.AsSpan(start + ChannelDataFrame.HeaderLength + received.Count, length - ChannelDataFrame.HeaderLength - received.Count).Clear();
        }
        else
        {
            int prefix = DataIndication.PrefixLength(received.Peer);
            if (prefix - StunConstants.HeaderLength + ((received.Count + 3) & ~3) > ushort.MaxValue)
            {
                _metrics.Dropped("too_large");
                return;
            }
            var (high, low) = allocation.NextIndicationId();
            start = DataIndication.Wrap(buffer, DataIndication.MaxPrefixLength, received.Count, received.Peer, high, low, out length);
        }
        if (allocation.Sender.Send(buffer.AsSpan(start, length)))
        {
            _metrics.RelayedToClient(received.Count);
        }
        else
        {
            _metrics.Dropped("send_failed");
        }
    }
}
