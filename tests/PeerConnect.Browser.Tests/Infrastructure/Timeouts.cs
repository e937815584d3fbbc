namespace PeerConnect.Browser.Tests.Infrastructure;

/// <summary>Upper bounds that only catch hangs; no test asserts how fast anything is.</summary>
public static class Timeouts
{
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <see cref="Generous"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(200);
        }
    }
}
