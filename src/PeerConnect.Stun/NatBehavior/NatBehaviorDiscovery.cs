using System.Net;
using PeerConnect.Stun.Client;

namespace PeerConnect.Stun.NatBehavior;

/// <summary>
/// RFC 5780 NAT behaviour discovery against a server with an alternate address: the filtering tests (§4.4)
/// and the mapping tests (§4.3), all from one client socket.
/// </summary>
/// <remarks>
/// Filtering is tested first: the mapping tests send to the alternate address, which would open an
/// address-dependent filter for it and make the filtering answer look endpoint-independent.
/// </remarks>
public static class NatBehaviorDiscovery
{
    /// <summary>Runs every test and classifies the path between <paramref name="client"/> and <paramref name="server"/>.</summary>
    /// <param name="client">The client whose socket is being classified; no other traffic should use it meanwhile.</param>
    /// <param name="server">The server's primary endpoint.</param>
    /// <param name="options">Per-test timeout.</param>
    /// <param name="timeProvider">The clock the per-test timeouts run on; use the client's.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <exception cref="NatBehaviorNotSupportedException">The server gave no OTHER-ADDRESS.</exception>
    /// <exception cref="StunTimeoutException">A test that must be answered was not.</exception>
    /// <exception cref="StunErrorResponseException">The server refused a test (e.g. 420 to CHANGE-REQUEST).</exception>
    public static async Task<NatBehaviorResult> RunAsync(
        StunClient client,
        IPEndPoint server,
        NatBehaviorDiscoveryOptions? options = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(server);
        options ??= new NatBehaviorDiscoveryOptions();
        options.Validate();
        timeProvider ??= TimeProvider.System;

        // Test I (§4.3 and §4.4 alike): a plain Binding to the primary endpoint.
        var first = await RequiredAsync(client, server, BindingRequestOptions.None, options, timeProvider, cancellationToken).ConfigureAwait(false);
        var other = first.OtherAddress ?? throw new NatBehaviorNotSupportedException();
        var filtering = await FilteringAsync(client, server, options, timeProvider, cancellationToken).ConfigureAwait(false);
        var local = LocalAddressResolver.Resolve(client.LocalEndPoint, server);
        var mapping = first.MappedAddress.Equals(local)
            ? NatMappingBehavior.NoNat
            : await MappingAsync(client, server, other, first.MappedAddress, options, timeProvider, cancellationToken).ConfigureAwait(false);
        return new NatBehaviorResult(local, first.MappedAddress, mapping, filtering, other);
    }

    /// <summary>RFC 5780 §4.3 Tests II and III.</summary>
    private static async Task<NatMappingBehavior> MappingAsync(StunClient client, IPEndPoint server, IPEndPoint other, IPEndPoint mappedByPrimary, NatBehaviorDiscoveryOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        // Test II: the alternate IP on the primary port.
        var second = await RequiredAsync(client, new IPEndPoint(other.Address, server.Port), BindingRequestOptions.None, options, time, cancellationToken).ConfigureAwait(false);
        if (second.MappedAddress.Equals(mappedByPrimary))
        {
            return NatMappingBehavior.EndpointIndependent;
        }
        // Test III: the alternate IP and the alternate port.
        var third = await RequiredAsync(client, other, BindingRequestOptions.None, options, time, cancellationToken).ConfigureAwait(false);
        return third.MappedAddress.Equals(second.MappedAddress)
            ? NatMappingBehavior.AddressDependent
            : NatMappingBehavior.AddressAndPortDependent;
    }

    /// <summary>RFC 5780 §4.4 Tests II and III: silence is the answer, so a timeout is a result, not an error.</summary>
    private static async Task<NatFilteringBehavior> FilteringAsync(StunClient client, IPEndPoint server, NatBehaviorDiscoveryOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var changeBoth = new BindingRequestOptions { ChangeIp = true, ChangePort = true };
        if (await AnsweredAsync(client, server, changeBoth, options, time, cancellationToken).ConfigureAwait(false))
        {
            return NatFilteringBehavior.EndpointIndependent;
        }
        var changePort = new BindingRequestOptions { ChangePort = true };
        return await AnsweredAsync(client, server, changePort, options, time, cancellationToken).ConfigureAwait(false)
            ? NatFilteringBehavior.AddressDependent
            : NatFilteringBehavior.AddressAndPortDependent;
    }

    private static async Task<bool> AnsweredAsync(StunClient client, IPEndPoint server, BindingRequestOptions request, NatBehaviorDiscoveryOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await RequiredAsync(client, server, request, options, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (StunTimeoutException)
        {
            return false;
        }
    }

    private static async Task<StunBindingResult> RequiredAsync(StunClient client, IPEndPoint destination, BindingRequestOptions request, NatBehaviorDiscoveryOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(options.TestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await client.BindingAsync(destination, request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new StunTimeoutException($"No answer from {destination} within {options.TestTimeout.TotalSeconds} s.", e);
        }
    }
}
