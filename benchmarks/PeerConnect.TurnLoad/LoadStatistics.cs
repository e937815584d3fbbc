using System.Globalization;

namespace PeerConnect.TurnLoad;

/// <summary>The two measurements both relay modes report: a percentile of sorted samples and the server's CPU time.</summary>
internal static class LoadStatistics
{
    public static int Percentile(int[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    /// <summary>utime + stime of the server process, from /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s).</summary>
    public static double? ServerCpu(int? pid)
    {
        if (pid is not int id)
        {
            return null;
        }

        string stat = File.ReadAllText($"/proc/{id}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
