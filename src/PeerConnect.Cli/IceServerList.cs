using System.Net.Http.Headers;
using System.Text.Json;
using PeerConnect.Ice.Servers;

namespace PeerConnect.Cli;

/// <summary>
/// Loads an RTCIceServer list from a file or an http(s) URL, in the shape our server's <c>GET /api/ice-servers</c>
/// returns: <c>[{"urls":["stun:…","turn:…"],"username":"…","credential":"…"}]</c>. Also accepted, as browsers and
/// other services write them: <c>{"iceServers":[…]}</c> around the list, and <c>"urls"</c> (or the old <c>"url"</c>) as one string.
/// </summary>
internal static class IceServerList
{
    /// <summary>Largest list read: a few kB is typical; this stops a wrong URL from filling memory.</summary>
    public const int MaxLength = 256 * 1024;

    /// <exception cref="ProbeFailedException">The file or URL cannot be read or is not an ICE server list.</exception>
    public static async Task<IReadOnlyList<IceServer>> LoadAsync(string source, string? bearerToken, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string text;
        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            using var http = new HttpClient { Timeout = timeout, MaxResponseContentBufferSize = MaxLength };
            using var request = new HttpRequestMessage(HttpMethod.Get, source);
            if (bearerToken is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
            }

            try
            {
                using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    string hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? " (pass a signaling token with --token)" : "";
                    throw new ProbeFailedException(ExitCodes.Unreachable, $"{source} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}{hint}");
                }

                text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ProbeFailedException(ExitCodes.Unreachable, $"cannot fetch {source}: {e.Message}");
            }
        }
        else
        {
            try
            {
                var info = new FileInfo(source);
                if (info.Exists && info.Length > MaxLength)
                {
                    throw new ProbeFailedException(ExitCodes.Usage, $"{source} is larger than {MaxLength / 1024} kB; is it an ICE server list?");
                }

                text = await File.ReadAllTextAsync(source, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ProbeFailedException(ExitCodes.Usage, $"cannot read {source}: {e.Message}");
            }
        }

        try
        {
            return Parse(text);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new ProbeFailedException(ExitCodes.Usage, $"{source} is not an ICE server list: {e.Message}");
        }
    }

    /// <exception cref="JsonException">Not JSON.</exception>
    /// <exception cref="FormatException">JSON, but not an ICE server list.</exception>
    public static IReadOnlyList<IceServer> Parse(string text)
    {
        using var document = JsonDocument.Parse(text);
        JsonElement list = document.RootElement;
        if (list.ValueKind == JsonValueKind.Object && list.TryGetProperty("iceServers", out var inner))
        {
            list = inner;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("expected a JSON array of {\"urls\":[…],\"username\":…,\"credential\":…}");
        }

        var servers = new List<IceServer>();
        foreach (JsonElement entry in list.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("each entry must be an object with \"urls\"");
            }

            if (!entry.TryGetProperty("urls", out var urls) && !entry.TryGetProperty("url", out urls))
            {
                throw new FormatException("an entry has no \"urls\"");
            }

            List<string> list2 = urls.ValueKind switch
            {
                JsonValueKind.String => [urls.GetString()!],
                JsonValueKind.Array => [.. urls.EnumerateArray().Select(u => u.ValueKind == JsonValueKind.String ? u.GetString()! : throw new FormatException("\"urls\" must hold strings"))],
                _ => throw new FormatException("\"urls\" must be a string or an array of strings"),
            };
            servers.Add(new IceServer(list2, OptionalString(entry, "username"), OptionalString(entry, "credential")));
        }

        return servers;
    }

    private static string? OptionalString(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
