using Microsoft.Extensions.Options;
using PeerConnect.Stun.Server;

namespace PeerConnect.Server.Stun;

/// <summary>
/// Checks <c>PeerConnect:Turn</c> at start (ValidateOnStart), so a typo stops the host with a message naming the key
/// instead of failing later at bind time.
/// </summary>
internal sealed class TurnListenerOptionsValidator : IValidateOptions<TurnListenerOptions>
{
    public ValidateOptionsResult Validate(string? name, TurnListenerOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }
        if (options.CertificatePath is { } path && !File.Exists(path))
        {
            return ValidateOptionsResult.Fail($"{TurnListenerOptions.SectionName}:CertificatePath: no file at '{path}'.");
        }
        try
        {
            // The certificate is loaded at start; here only its absence matters to the other checks.
            StunServerOptionsMapper.ToServerOptions(options, certificate: null).Validate();
            if (options.TurnEnabled)
            {
                TurnServerOptionsMapper.ToTurnOptions(options).Validate();
            }
            return ValidateOptionsResult.Success;
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return ValidateOptionsResult.Fail($"{TurnListenerOptions.SectionName}: {e.Message}");
        }
    }
}
