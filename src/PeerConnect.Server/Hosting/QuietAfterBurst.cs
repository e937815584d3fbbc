namespace PeerConnect.Server.Hosting;

/// <summary>
/// Decides, one window of allocation at a time, when a process has gone quiet after a burst. A window is busy when it
/// and the one before allocated more than two quiet windows' worth together: the average over two windows, so a short
/// burst that falls across a window boundary still counts. The first run of quiet windows long enough after a busy one
/// says "now", once.
/// </summary>
internal sealed class QuietAfterBurst(long quietBytesPerWindow, int quietWindowsNeeded)
{
    private long _previous;
    private bool _burstSinceLast;
    private int _quietWindows;

    /// <summary>Takes the bytes allocated in one window; true when this window completes a quiet run after a burst.</summary>
    public bool Observe(long allocatedInWindow)
    {
        var busy = allocatedInWindow + _previous > 2 * quietBytesPerWindow;
        _previous = allocatedInWindow;
        if (busy)
        {
            _burstSinceLast = true;
            _quietWindows = 0;
            return false;
        }

        _quietWindows++;
        if (!_burstSinceLast || _quietWindows < quietWindowsNeeded)
        {
            return false;
        }

        _burstSinceLast = false;
        return true;
    }
}
