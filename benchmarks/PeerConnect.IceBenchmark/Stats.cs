using System.Globalization;

namespace PeerConnect.IceBenchmark;

/// <summary>Nearest-rank percentiles and the one-line report every mode prints.</summary>
internal static class Stats
{
    public static void Report(string name, IReadOnlyList<double> values) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: n={values.Count} p50={Percentile(values, 50):F2} ms p95={Percentile(values, 95):F2} ms"));

    public static void Ratio(IReadOnlyList<double> ours, IReadOnlyList<double> theirs) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio p50 {Percentile(ours, 50) / Percentile(theirs, 50):F3} p95 {Percentile(ours, 95) / Percentile(theirs, 95):F3}"));

    public static double Percentile(IReadOnlyList<double> values, int p)
    {
        var sorted = values.Order().ToList();
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}
