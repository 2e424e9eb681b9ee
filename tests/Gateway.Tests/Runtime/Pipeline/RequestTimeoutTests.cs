using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using TracedLlm.Telemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>
/// Time limits told apart: the server's request timeout (504 <c>request_timeout</c>, with a body),
/// a client that stalls its body (408), an upstream timeout (504 <c>upstream_timeout</c>), and a
/// component's own cancellation (500, never blamed on the upstream).
/// </summary>
public sealed class RequestTimeoutTests : IClassFixture<FaultMatrixHost>, IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private readonly FaultMatrixHost _host;
    private SpanCollector _spans = new();

    public RequestTimeoutTests(FaultMatrixHost host)
    {
        _host = host;
        _host.Logged.Clear();
        _host.Finished.Clear();
    }

    public void Dispose()
    {
        _host.Plan.Arm(null);
        _spans.Dispose();
    }

    [Theory]
    [InlineData(FaultSite.HandlerBeforeLlmCall)]
    [InlineData(FaultSite.Upstream)]
    public async Task AServerRequestTimeoutIsA504WithABodyNotAClientDisconnect(FaultSite site)
    {
        // On main the failure path took the timeout's cancelled RequestAborted for a client that
        // left: it wrote nothing, recorded 499, and the client got an empty 200.
        using var client = new HttpClient { BaseAddress = new Uri(_host.Address), Timeout = Generous };
        HttpResponseMessage response = null!;
        foreach (var deadline in new[] { FaultMatrixHost.Deadline, FaultMatrixHost.SlowDeadline })
        {
            _host.Plan.Arm(new FaultCell(site, Fault.ServerRequestTimeout, WireFormat.OpenAI, Stream: false));
            response = await client.SendAsync(Post(deadline + "/v1/chat/completions",
                """{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
            if (!_host.Plan.ReachedLate)
            {
                break;
            }

            // Too busy a machine to reach the component within a second: again with ten.
            response.Dispose();
            await _host.NextFinishedAsync();
            _host.Logged.Clear();
            _spans.Dispose();
            _spans = new SpanCollector();
        }

        using var disposeResponse = response;

        Assert.Equal(504, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("request_timeout", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("timeout_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        var server = await _host.NextFinishedAsync();
        Assert.Null(server.Escaped);
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(504, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        Assert.Equal("request_timeout", tree.Single(SpanNames.Failure).GetTagItem(AttributeNames.ErrorType));
        var logged = Assert.Single(_host.Logged);
        Assert.Equal(
            (504, "request_timeout", "request_timeout"),
            (logged.StatusCode, logged.ErrorType, logged.ErrorCode));
    }

    [Theory]
    [InlineData(
        FaultSite.Authenticator,
        Fault.OwnCancellation,
        500,
        "internal_error",
        "The gateway failed to handle the request."
    )]
    [InlineData(
        FaultSite.HandlerBeforeLlmCall,
        Fault.OwnCancellation,
        500,
        "internal_error",
        "The gateway failed to handle the request."
    )]
    [InlineData(
        FaultSite.PreCallGuardrail,
        Fault.OwnTimeout,
        500,
        "internal_error",
        "The gateway failed to handle the request."
    )]
    [InlineData(
        FaultSite.Upstream,
        Fault.UpstreamTimeout,
        504,
        "upstream_timeout",
        "The upstream provider did not answer in time."
    )]
    public async Task OnlyAnUpstreamTimeoutIsBlamedOnTheUpstream(
        FaultSite site,
        Fault fault,
        int status,
        string code,
        string message)
    {
        // On main any OperationCanceledException or TimeoutException, the authenticator's or the
        // handler's included, answered 504 "The upstream provider did not answer in time."
        _host.Plan.Arm(new FaultCell(site, fault, WireFormat.Anthropic, Stream: false));
        using var client = new HttpClient { BaseAddress = new Uri(_host.Address), Timeout = Generous };
        using var response = await client.SendAsync(Post("/v1/messages",
            """{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"x"}]}"""));

        Assert.Equal(status, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(message, json.RootElement.GetProperty("error").GetProperty("message").GetString());
        await _host.NextFinishedAsync();
        Assert.Equal(code, Assert.Single(_host.Logged).ErrorCode);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/v1/messages")]
    public async Task AStalledRequestBodyIs408InTheRoutesFormat(string path)
    {
        // Kestrel's minimum request body data rate; on main its 408 became a 400.
        using var host = new GatewayHost();
        host.UseKestrel(kestrel =>
        {
            // A free loopback port: the default URL (port 5000) may be taken on a shared machine.
            kestrel.Listen(System.Net.IPAddress.Loopback, 0);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(
                bytesPerSecond: 240,
                gracePeriod: TimeSpan.FromSeconds(2));
        });
        host.StartServer();
        var address = host.Services
            .GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.First();

        var (status, contentType, body) = await SendStalledAsync(address, path, GatewayHost.ApiKey);

        Assert.Equal(408, status);
        Assert.Equal("application/json", contentType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(
            "The request body did not arrive in time.",
            json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(path == "/v1/messages", json.RootElement.TryGetProperty("type", out _));
        var tree = await _spans.SingleTraceAsync();
        Assert.Equal(408, tree.Server.GetTagItem(AttributeNames.HttpResponseStatusCode));
        tree.AssertChild(SpanNames.Failure, tree.Server, System.Diagnostics.ActivityKind.Internal);
        _spans.AssertAllEnded();
    }

    [Fact]
    public async Task ARequestTimeoutWhileTheBodyIsStillArrivingIs408()
    {
        // The deadline passed while the client was still sending: the client is the slow side.
        var (status, contentType, body) = await SendStalledAsync(
            _host.Address,
            FaultMatrixHost.Deadline + "/v1/chat/completions",
            FaultMatrixHost.ApiKey);

        Assert.Equal(408, status);
        Assert.Equal("application/json", contentType);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("request_body_timeout", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        await _host.NextFinishedAsync();
        var logged = Assert.Single(_host.Logged);
        Assert.Equal((408, "request_body_timeout"), (logged.StatusCode, logged.ErrorType));
    }

    private static HttpRequestMessage Post(string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json")
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer",
            FaultMatrixHost.ApiKey);
        return request;
    }

    /// <summary>
    /// Sends the headers and the start of a 4 KiB body over a real socket, then stalls; returns the response.
    /// </summary>
    private static async Task<(int Status, string? ContentType, string Body)> SendStalledAsync(
        string address,
        string path,
        string apiKey)
    {
        var uri = new Uri(address);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var head = $"POST {path} HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Bearer {apiKey}\r\nContent-Type: "
            + $"application/json\r\nContent-Length: 4096\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head
            + """{"model":"m","messages":[{"role":"user","content":"slow"""));
        await stream.FlushAsync();

        using var timeout = new CancellationTokenSource(Generous);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.ASCII.GetString(received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var headers = text[..end].Split("\r\n");
                var length = headers
                    .Select(h => h.Split(": ", 2))
                    .Where(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(h => int.Parse(h[1], System.Globalization.CultureInfo.InvariantCulture))
                    .FirstOrDefault(-1);
                if (length >= 0 && text.Length - end - 4 >= length)
                {
                    var contentType = headers
                        .Select(h => h.Split(": ", 2))
                        .Where(h => h[0].Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                        .Select(h => h[1].Split(';')[0])
                        .FirstOrDefault();
                    return (int.Parse(headers[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture),
                        contentType,
                        text.Substring(end + 4, length));
                }
            }

            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                throw new IOException("The connection closed before a whole response: " + text);
            }

            received.Write(buffer, 0, read);
        }
    }
}
