using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.Extensions.Configuration;
using TracedLlm;

namespace TracedLlm.Gateway.Tests;

/// <summary>Langfuse export settings: host precedence, endpoint, headers, and a secret that never shows.</summary>
public sealed class LangfuseExporterOptionsTests
{
    [Theory]
    [InlineData(
        "https://otel.example:8443",
        "https://base.example",
        "https://host.example",
        "https://otel.example:8443/api/public/otel/v1/traces"
    )]
    [InlineData(
        null,
        "https://base.example/",
        "https://host.example",
        "https://base.example/api/public/otel/v1/traces"
    )]
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
    [InlineData(
        null,
        null,
        "Langfuse export needs LANGFUSE_PUBLIC_KEY, which is missing (or set TracedLlm:Langfuse:PublicKey). Langfuse "
        + "export needs LANGFUSE_SECRET_KEY, which is missing (or set TracedLlm:Langfuse:SecretKey)."
    )]
    [InlineData(
        "pk-lf-1",
        null,
        "Langfuse export needs LANGFUSE_SECRET_KEY, which is missing (or set TracedLlm:Langfuse:SecretKey)."
    )]
    [InlineData(
        null,
        "sk-lf-1",
        "Langfuse export needs LANGFUSE_PUBLIC_KEY, which is missing (or set TracedLlm:Langfuse:PublicKey)."
    )]
    [InlineData("pk-lf-1", "", "Langfuse export needs LANGFUSE_SECRET_KEY, which is empty.")]
    [InlineData("  ", "sk-lf-1", "Langfuse export needs LANGFUSE_PUBLIC_KEY, which is empty.")]
    public void AMissingOrEmptyKeyFailsNamingItsVariable(string? publicKey, string? secretKey, string message)
    {
        var options = LangfuseExporterOptions.FromVariables(Variables(new()
        {
            ["LANGFUSE_PUBLIC_KEY"] = publicKey,
            ["LANGFUSE_SECRET_KEY"] = secretKey,
        }));

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal(message, exception.Message);
        Assert.DoesNotContain('\n', exception.Message);
    }

    [Fact]
    public void AKeySetButEmptyMeansLangfuseWasMeant()
    {
        Assert.False(LangfuseExporterOptions.FromVariables(Variables(new())).IsConfigured);
        Assert.True(
            LangfuseExporterOptions
                .FromVariables(Variables(new() { ["LANGFUSE_SECRET_KEY"] = string.Empty }))
                .IsConfigured);
    }

    [Theory]
    [InlineData("LANGFUSE_HOST", "http://bad host")]
    [InlineData("LANGFUSE_OTEL_HOST", "ftp://langfuse.internal")]
    [InlineData("LANGFUSE_BASE_URL", "https://")]
    [InlineData("LANGFUSE_HOST", "langfuse.internal:port")]
    public void AMalformedHostFailsNamingItsVariable(string variable, string host)
    {
        var options = LangfuseExporterOptions.FromVariables(Variables(new()
        {
            ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-1",
            ["LANGFUSE_SECRET_KEY"] = "sk-lf-1",
            [variable] = host,
        }));

        var exception = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Equal(
            $"The Langfuse host \"{host}\" ({variable}) is not an http(s) URL such as https://cloud.langfuse.com.",
            exception.Message);
    }

    [Fact]
    public void TheConfigurationSectionOverridesTheStandardVariablesAndIsNamedWhenWrong()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-env",
            ["LANGFUSE_SECRET_KEY"] = "sk-lf-env",
            ["LANGFUSE_HOST"] = "https://env.example",
            ["TracedLlm:Langfuse:PublicKey"] = "pk-lf-section",
            ["TracedLlm:Langfuse:Host"] = "section.example:3000",
        }).Build();

        var options = LangfuseExporterOptions.FromConfiguration(configuration);

        Assert.Equal(("pk-lf-section", "sk-lf-env"), (options.PublicKey, options.SecretKey));
        Assert.Equal("https://section.example:3000/api/public/otel/v1/traces", options.Endpoint.ToString());

        var wrong = LangfuseExporterOptions.FromConfiguration(
            new ConfigurationBuilder()
                .AddInMemoryCollection(
                    new Dictionary<string, string?>
                    {
                        ["TracedLlm:Langfuse:PublicKey"] = "pk-lf-section",
                        ["TracedLlm:Langfuse:SecretKey"] = string.Empty,
                        ["TracedLlm:Langfuse:Host"] = "not a host",
                    })
                .Build());
        Assert.Equal(
            "Langfuse export needs LANGFUSE_SECRET_KEY, which is empty (set as TracedLlm:Langfuse:SecretKey). The "
            + "Langfuse host \"not a host\" (TracedLlm:Langfuse:Host) is not an http(s) URL such as "
            + "https://cloud.langfuse.com.",
            Assert.Throws<InvalidOperationException>(wrong.Validate).Message);
    }

    [Fact]
    public void HeadersCarryBasicAuthAndTheIngestionVersion()
    {
        var options = new LangfuseExporterOptions { PublicKey = "pk-lf-abc", SecretKey = "sk-lf-secret" };

        Assert.Equal(
            "Authorization=Basic "
                + Convert.ToBase64String(Encoding.UTF8.GetBytes("pk-lf-abc:sk-lf-secret"))
                + ",x-langfuse-ingestion-version=4",
            options.OtlpHeaders());
    }

    [Fact]
    public void ToStringNeverShowsTheSecret()
    {
        var options = new LangfuseExporterOptions
        {
            PublicKey = "pk-lf-abc",
            SecretKey = "sk-lf-secret",
            Host = "https://cloud.langfuse.com"
        };

        Assert.Equal(
            "LangfuseExporterOptions { Endpoint = https://cloud.langfuse.com/api/public/otel/v1/traces, PublicKey = "
            + "pk-lf-abc, SecretKey = *** }",
            options.ToString());
    }

    [Theory]
    [InlineData(
        "https://pk-lf-abc:sk-lf-secret@langfuse.internal:3000",
        "https://langfuse.internal:3000/api/public/otel/v1/traces"
    )]
    [InlineData("https://pk-lf-abc:sk-lf-secret@langfuse example.com", "(not an http(s) URL)")]
    public void ToStringNeverShowsCredentialsInTheHost(string host, string shown)
    {
        // A careless host with the key pair as its user info: the endpoint is named without it.
        var options = new LangfuseExporterOptions { PublicKey = "pk-lf-abc", SecretKey = "sk-lf-secret", Host = host };

        Assert.Equal(
            $"LangfuseExporterOptions {{ Endpoint = {shown}, PublicKey = pk-lf-abc, SecretKey = *** }}",
            options.ToString());
    }

    private static Func<string, string?> Variables(Dictionary<string, string?> values) =>
        name => values.TryGetValue(name, out var value) ? value : null;
}
