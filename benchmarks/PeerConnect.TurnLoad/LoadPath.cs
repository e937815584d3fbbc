using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using PeerConnect.Stun.Transport;

namespace PeerConnect.TurnLoad;

/// <summary>
/// One datagram path to the echo peer (a TURN allocation's relay, or a plain loopback socket for the baseline)
/// driven by a sender and a receiver. Each payload starts with its send time, so the receiver measures the round
/// trip and counts only datagrams sent inside the measurement window.
/// </summary>
internal sealed class LoadPath
{
    // Payload header: send timestamp (Stopwatch ticks), 8 bytes.
    private const int HeaderLength = 8;

    private readonly IDatagramTransport _transport;
    private readonly IPEndPoint _peer;
    private readonly int _payloadLength;
    private readonly double _packetsPerSecond;
    private readonly SemaphoreSlim _window;
    private readonly int[] _rttMicroseconds;
    private int _samples;

    public LoadPath(IDatagramTransport transport, IPEndPoint peer, int payloadLength, double packetsPerSecond, int window, int maxSamples)
    {
        _transport = transport;
        _peer = peer;
        _payloadLength = Math.Max(payloadLength, HeaderLength);
        _packetsPerSecond = packetsPerSecond;
        _window = new SemaphoreSlim(window, int.MaxValue);
        _rttMicroseconds = new int[maxSamples];
    }

    public long SentInWindow { get; private set; }

    public long ReceivedInWindow { get; private set; }

    public ReadOnlySpan<int> Samples => _rttMicroseconds.AsSpan(0, Math.Min(_samples, _rttMicroseconds.Length));

    /// <summary>Runs until <paramref name="stopSending"/>, then drains echoes until <paramref name="stopReceiving"/>.</summary>
    public Task RunAsync(MeasurementWindow window, CancellationToken stopSending, CancellationToken stopReceiving) =>
        Task.WhenAll(Task.Run(() => SendAsync(window, stopSending)), Task.Run(() => ReceiveAsync(window, stopReceiving)));

    private async Task SendAsync(MeasurementWindow window, CancellationToken stop)
    {
        var payload = new byte[_payloadLength];
        payload.AsSpan(HeaderLength).Fill(0x5A);
        long started = Stopwatch.GetTimestamp();
        long sent = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (_packetsPerSecond > 0)
                {
                    // Open loop: bursts keep the long-run rate on target despite the 1 ms timer granularity.
                    double due = Stopwatch.GetElapsedTime(started).TotalSeconds * _packetsPerSecond;
                    if (sent >= due)
                    {
                        await Task.Delay(1, stop).ConfigureAwait(false);
                        continue;
                    }
                }
                else if (!await _window.WaitAsync(100, stop).ConfigureAwait(false))
                {
                    // Closed loop: a window slot whose echo never came back is presumed lost after 100 ms.
                }

                long now = Stopwatch.GetTimestamp();
                BinaryPrimitives.WriteInt64LittleEndian(payload, now);
                await _transport.SendAsync(payload, _peer, stop).ConfigureAwait(false);
                sent++;
                if (window.Contains(now))
                {
                    SentInWindow++;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReceiveAsync(MeasurementWindow window, CancellationToken stop)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                DatagramReceiveResult received = await _transport.ReceiveAsync(buffer, stop).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                _window.Release();
                if (received.Count < HeaderLength)
                {
                    continue;
                }

                long sentAt = BinaryPrimitives.ReadInt64LittleEndian(buffer);
                if (!window.Contains(sentAt))
                {
                    continue;
                }

                ReceivedInWindow++;
                if (_samples < _rttMicroseconds.Length)
                {
                    _rttMicroseconds[_samples] = (int)Stopwatch.GetElapsedTime(sentAt, now).TotalMicroseconds;
                }

                _samples++;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>The span of Stopwatch timestamps whose datagrams count.</summary>
internal sealed class MeasurementWindow
{
    public long Start { get; set; } = long.MaxValue;

    public long End { get; set; } = long.MaxValue;

    public bool Contains(long timestamp) => timestamp >= Start && timestamp < End;
}
