using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace TracedLlm.Gateway.Tests;

/// <summary>The sample gateway in process, configured per test.</summary>
internal sealed class GatewayHost : WebApplicationFactory<Program>
{
    public const string ApiKey = "sk-test-4f9c2a7e1d";

    private readonly Dictionary<string, string?> _settings = new()
    {
        ["Tracing:Enabled"] = "false",
        ["Gateway:ApiKeys"] = ApiKey,
    };

    private readonly List<Action<IServiceCollection>> _services = new();

    public GatewayHost With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    public GatewayHost WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            foreach (var configure in _services)
            {
                configure(services);
            }
        });
    }

    /// <summary>
    /// Serves on Kestrel, on a free loopback port, and returns its address. The port is given to
    /// Kestrel, not as <c>UseKestrel(0)</c>: that form rewrites the server's addresses after the
    /// app starts binding, a race that failed tests now and then ("Addresses cannot be modified
    /// after the server has started", dotnet/aspnetcore#67714).
    /// </summary>
    public Uri StartKestrel()
    {
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        StartServer();
        return new Uri(
            Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    /// <summary>A POST with the test API key (unless <paramref name="apiKey"/> says otherwise).</summary>
    public static HttpRequestMessage Post(
        string path,
        string json,
        string? apiKey = ApiKey,
        string? traceparent = null,
        bool anthropicKeyHeader = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json")
        };
        if (apiKey is not null)
        {
            if (anthropicKeyHeader)
            {
                request.Headers.Add("x-api-key", apiKey);
            }
            else
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
            }
        }

        if (traceparent is not null)
        {
            request.Headers.Add("traceparent", traceparent);
        }

        return request;
    }
}
