using Microsoft.Extensions.Time.Testing;
using PeerConnect.Ice.Tests.VirtualNetwork;

namespace PeerConnect.Ice.Tests.Support;

/// <summary>
/// Two agents on a <see cref="VirtualNet"/> with trickle and credentials wired as a signalling channel would, driven by
/// one fake clock: the clock only moves once every datagram has been read and both agents' loops are idle.
/// </summary>
internal sealed class IcePeers : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    public IcePeers(FakeTimeProvider time, VirtualNet net, IceAgent a, IceAgent b)
    {
        Time = time;
        Net = net;
        A = a;
        B = b;
        Wire(a, b);
        Wire(b, a);
    }

    public FakeTimeProvider Time { get; }

    public VirtualNet Net { get; }

    public IceAgent A { get; }

    public IceAgent B { get; }

    private readonly List<(IceAgent To, PeerConnect.Ice.Candidates.IceCandidate? Candidate)> _held = [];

    /// <summary>When false, trickled candidates are held back until <see cref="FlushAsync"/> (late candidates, restarts).</summary>
    public bool Trickle { get; set; } = true;

    public List<(IceAgent To, PeerConnect.Ice.Candidates.IceCandidate? Candidate)> TakeHeld()
    {
        lock (_held)
        {
            var held = _held.ToList();
            _held.Clear();
            return held;
        }
    }

    public async Task FlushAsync()
    {
        Trickle = true;
        List<(IceAgent To, PeerConnect.Ice.Candidates.IceCandidate? Candidate)> held;
        lock (_held)
        {
            held = [.. _held];
            _held.Clear();
        }

        foreach (var (to, candidate) in held)
        {
            await to.AddRemoteCandidateAsync(candidate);
        }
    }

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public void Own(IAsyncDisposable disposable) => _owned.Add(disposable);

    public async Task StartAsync()
    {
        await A.SetRemoteParametersAsync(B.LocalParameters);
        await B.SetRemoteParametersAsync(A.LocalParameters);
        await A.GatherAsync();
        await B.GatherAsync();
    }

    public async Task SettleAsync()
    {
        int quiet = 0;
        for (int i = 0; i < 2000 && quiet < 3; i++)
        {
            bool idle = Net.InFlight == 0 && A.IsIdle && B.IsIdle;
            quiet = idle ? quiet + 1 : 0;
            await Task.Delay(idle ? 0 : 1);
            await Task.Yield();
        }
    }

    /// <summary>Moves the clock in steps, settling in between, until <paramref name="condition"/> holds or <paramref name="limit"/> of fake time passed.</summary>
    public async Task<bool> RunUntilAsync(Func<bool> condition, TimeSpan limit, TimeSpan? step = null)
    {
        var stepSize = step ?? TimeSpan.FromMilliseconds(10);
        var end = Time.GetUtcNow() + limit;
        await SettleAsync();
        while (!condition())
        {
            if (Time.GetUtcNow() >= end)
            {
                return false;
            }

            Time.Advance(stepSize);
            await SettleAsync();
        }

        return true;
    }

    public Task<bool> ConnectAsync(TimeSpan? limit = null) =>
        RunUntilAsync(() => A.SelectedPair is not null && B.SelectedPair is not null, limit ?? TimeSpan.FromSeconds(20));

    private void Wire(IceAgent from, IceAgent to) =>
        from.CandidateGathered += c =>
        {
            if (Trickle)
            {
                _ = to.AddRemoteCandidateAsync(c);
            }
            else
            {
                lock (_held)
                {
                    _held.Add((to, c));
                }
            }
        };

    public async ValueTask DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
        foreach (var d in _owned)
        {
            await d.DisposeAsync();
        }
    }
}
