using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using Microsoft.AspNetCore.Hosting;
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

    /// <summary>A POST with the test API key (unless <paramref name="apiKey"/> says otherwise).</summary>
    public static HttpRequestMessage Post(string path, string json, string? apiKey = ApiKey, string? traceparent = null, bool anthropicKeyHeader = false)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
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
