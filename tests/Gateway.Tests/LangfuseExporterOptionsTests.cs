using System;
using System.Collections.Generic;
using System.Text;
using TracedLlm.OpenTelemetry;

namespace TracedLlm.Gateway.Tests;

/// <summary>Langfuse export settings: host precedence, endpoint, headers, and a secret that never shows.</summary>
public sealed class LangfuseExporterOptionsTests
{
    [Theory]
    [InlineData("https://otel.example:8443", "https://base.example", "https://host.example", "https://otel.example:8443/api/public/otel/v1/traces")]
    [InlineData(null, "https://base.example/", "https://host.example", "https://base.example/api/public/otel/v1/traces")]
    [InlineData(null, null, "langfuse.internal:3000", "https://langfuse.internal:3000/api/public/otel/v1/traces")]
    [InlineData(null, null, null, "https://us.cloud.langfuse.com/api/public/otel/v1/traces")]
    public void HostPrecedenceAndEndpoint(string? otelHost, string? baseUrl, string? host, string endpoint)
    {
        var options = LangfuseExporterOptions.FromVariables(Variables(new()
        {
            ["LANGFUSE_OTEL_HOST"] = otelHost,
            ["LANGFUSE_BASE_URL"] = baseUrl,
            ["LANGFUSE_HOST"] = host,
        }));

        Assert.Equal(endpoint, options.Endpoint.ToString());
    }

    [Theory]
    [InlineData(null, null, "both are missing")]
    [InlineData("pk-lf-1", null, "LANGFUSE_SECRET_KEY is missing")]
    [InlineData(null, "sk-lf-1", "LANGFUSE_PUBLIC_KEY is missing")]
    public void MissingKeysFailNamingBothVariables(string? publicKey, string? secretKey, string missing)
    {
        var options = new LangfuseExporterOptions { PublicKey = publicKey, SecretKey = secretKey };

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal($"Langfuse export needs LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY (or PublicKey and SecretKey in code): {missing}.", exception.Message);
    }

    [Fact]
    public void HeadersCarryBasicAuthAndTheIngestionVersion()
    {
        var options = new LangfuseExporterOptions { PublicKey = "pk-lf-abc", SecretKey = "sk-lf-secret" };

        Assert.Equal(
            "Authorization=Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("pk-lf-abc:sk-lf-secret")) + ",x-langfuse-ingestion-version=4",
            options.OtlpHeaders());
    }

    [Fact]
    public void ToStringNeverShowsTheSecret()
    {
        var options = new LangfuseExporterOptions { PublicKey = "pk-lf-abc", SecretKey = "sk-lf-secret", Host = "https://cloud.langfuse.com" };

        Assert.Equal("LangfuseExporterOptions { Endpoint = https://cloud.langfuse.com/api/public/otel/v1/traces, PublicKey = pk-lf-abc, SecretKey = *** }", options.ToString());
    }

    private static Func<string, string?> Variables(Dictionary<string, string?> values) =>
        name => values.TryGetValue(name, out var value) ? value : null;
}
