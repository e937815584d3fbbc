namespace PeerConnect.Server.Hosting;

/// <summary>
/// Decides, one window of allocation at a time, when a process has gone quiet after a burst: a window over the quiet
/// threshold is a burst; the first run of quiet windows that lasts long enough after a burst says "now", once.
/// </summary>
internal sealed class QuietAfterBurst(long quietBytesPerWindow, int quietWindowsNeeded)
{
    private bool _burstSinceLast;
    private int _quietWindows;

    /// <summary>Takes the bytes allocated in one window; true when this window completes a quiet run after a burst.</summary>
    public bool Observe(long allocatedInWindow)
    {
        if (allocatedInWindow > quietBytesPerWindow)
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
