namespace PeerConnect.Cli;

/// <summary>Exit codes of the peerconnect command, also listed by <c>--help</c>.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int UnexpectedError = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int Timeout = 4;
    public const int ServerError = 5;
    public const int AuthenticationFailed = 6;
}
