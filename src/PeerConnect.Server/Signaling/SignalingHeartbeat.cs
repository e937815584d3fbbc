using Microsoft.Extensions.Options;

namespace PeerConnect.Server.Signaling;

/// <summary>
/// One timer for the heartbeat of every connection: connections are spread over <see cref="Slots"/> slots and each
/// tick (a <see cref="Slots"/>th of <see cref="SignalingOptions.HeartbeatInterval"/>) visits one slot, so each
/// connection is visited once per interval, pings go out spread over the interval rather than all at once, and an idle
/// connection holds no timer or loop of its own.
/// </summary>
internal sealed class SignalingHeartbeat : IDisposable
{
    /// <summary>How finely the interval is cut: a visit comes at most this fraction of an interval late.</summary>
    internal const int Slots = 16;

    private readonly HashSet<IHeartbeatMember>[] _slots = new HashSet<IHeartbeatMember>[Slots];
    private readonly List<IHeartbeatMember> _visiting = [];
    private readonly Lock _tickGate = new();
    private readonly ITimer _timer;
    private int _nextSlot;
    private int _assigned;

    public SignalingHeartbeat(IOptions<SignalingOptions> options, TimeProvider timeProvider)
    {
        for (var i = 0; i < Slots; i++)
        {
            _slots[i] = new HashSet<IHeartbeatMember>(ReferenceEqualityComparer.Instance);
        }

        var tick = options.Value.HeartbeatInterval / Slots;
        _timer = timeProvider.CreateTimer(static state => ((SignalingHeartbeat)state!).Tick(), this, tick, tick);
    }

    /// <summary>Starts visiting a connection; the result is the slot to pass to <see cref="Remove"/>.</summary>
    public int Add(IHeartbeatMember member)
    {
        var slot = (int)((uint)Interlocked.Increment(ref _assigned) % Slots);
        lock (_slots[slot])
        {
            _slots[slot].Add(member);
        }

        return slot;
    }

    public void Remove(IHeartbeatMember member, int slot)
    {
        lock (_slots[slot])
        {
            _slots[slot].Remove(member);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        // A tick that overruns the next one (a stalled thread pool) is not worth queueing behind.
        if (!_tickGate.TryEnter())
        {
            return;
        }

        try
        {
            var slot = _slots[_nextSlot];
            _nextSlot = (_nextSlot + 1) % Slots;
            lock (slot)
            {
                _visiting.AddRange(slot);
            }

            foreach (var member in _visiting)
            {
                member.Beat();
            }
        }
        finally
        {
            _visiting.Clear();
            _tickGate.Exit();
        }
    }
}

/// <summary>A connection the heartbeat visits once per interval.</summary>
internal interface IHeartbeatMember
{
    /// <summary>Pings, or closes the connection when nothing arrived within the idle timeout. Must not block.</summary>
    void Beat();
}
