using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TracedLlm.Tests;

/// <summary>
/// One app of a port, before or after adoption, in process on Kestrel (a test server would hand the client the
/// exception a real server answers with 500), in Production, with the test's settings over its appsettings.json.
/// </summary>
/// <remarks>
/// An adopted app compiles the files adoption left unchanged from the app's folder, appsettings.json among them:
/// <paramref name="contentRoot"/> is then that folder, where it reads it as the published app does beside its dll.
/// </remarks>
internal sealed class PortApp<TProgram> : WebApplicationFactory<TProgram>
    where TProgram : class
{
    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly string? _contentRoot;

    public PortApp(IReadOnlyDictionary<string, string> settings, string? contentRoot = null)
    {
        _settings = settings;
        _contentRoot = contentRoot;
        // The port given to Kestrel: UseKestrel(0) rewrites the addresses as the app binds, a race
        // ("Addresses cannot be modified after the server has started", dotnet/aspnetcore#67714).
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>
    /// Posts <paramref name="body"/> as JSON in the trace <paramref name="trace"/> (a <c>traceparent</c> the adopted
    /// app joins, so a test finds its request's spans among every app's) and reads the whole answer.
    /// </summary>
    public Task<PortAnswer> PostAsync(string path, string body, ActivityTraceId trace) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        }, trace);

    /// <summary>
    /// Gets <paramref name="path"/> in the trace <paramref name="trace"/> and reads the whole answer.
    /// </summary>
    public Task<PortAnswer> GetAsync(string path, ActivityTraceId trace) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), trace);

    private async Task<PortAnswer> SendAsync(HttpRequestMessage request, ActivityTraceId trace)
    {
        using var client = CreateClient();
        using var sent = request;
        request.Headers.Add(
            "traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new PortAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        if (_contentRoot is not null)
        {
            builder.UseContentRoot(_contentRoot);
        }

        builder.UseSetting("Logging:LogLevel:Default", "None");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

/// <summary>What a client saw: the status, the media type and the body.</summary>
internal sealed record PortAnswer(int Status, string? ContentType, string Body);
