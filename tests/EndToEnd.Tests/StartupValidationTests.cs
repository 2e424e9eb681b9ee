using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace TracedLlm.EndToEnd.Tests;

/// <summary>
/// A configuration mistake stops the sample gateway at start with one line on standard error that
/// names the setting, and a non-zero exit code: no stack trace, no half-started server.
/// </summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("pk-lf-1", "", null, "Langfuse export needs LANGFUSE_SECRET_KEY, which is empty.")]
    [InlineData(
        null,
        "sk-lf-1",
        null,
        "Langfuse export needs LANGFUSE_PUBLIC_KEY, which is missing (or set TracedLlm:Langfuse:PublicKey)."
    )]
    [InlineData("", "sk-lf-1", null, "Langfuse export needs LANGFUSE_PUBLIC_KEY, which is empty.")]
    [InlineData(
        "pk-lf-1",
        "sk-lf-1",
        "https://langfuse example.com",
        "The Langfuse host \"https://langfuse example.com\" (LANGFUSE_HOST) is not an http(s) URL such as "
        + "https://cloud.langfuse.com."
    )]
    public async Task AMissingKeyOrMalformedHostIsOneLineAndExitCodeOne(
        string? publicKey,
        string? secretKey,
        string? host,
        string message)
    {
        using var gateway = SampleGatewayProcess.Start(new Dictionary<string, string?>
        {
            ["LANGFUSE_PUBLIC_KEY"] = publicKey,
            ["LANGFUSE_SECRET_KEY"] = secretKey,
            ["LANGFUSE_HOST"] = host,
        });

        var exit = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(exit == 1, $"exit code {exit?.ToString() ?? "none: still running"}:\n{gateway.Output}");
        var error = Assert.Single(gateway.ErrorLines, line => line.Length > 0);
        Assert.Equal("tracedllm-sample-gateway: cannot start: " + message, error);
        Assert.DoesNotContain(
            gateway.Lines,
            line =>
                line.Contains("   at ", StringComparison.Ordinal)
                || line.Contains("Exception", StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Lines, line => line.Contains("Now listening", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnInvalidExportQueueSettingNamesItsKey()
    {
        using var gateway = SampleGatewayProcess.Start(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
            ["TracedLlm__Export__MaxQueueBytesPerRequest"] = "0",
        });

        var exit = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(exit == 1, $"exit code {exit?.ToString() ?? "none: still running"}:\n{gateway.Output}");
        Assert.Equal(
            "tracedllm-sample-gateway: cannot start: TracedLlm:Export:MaxQueueBytesPerRequest must be between 1 and "
            + "MaxQueueBytes (33554432) (it is 0).",
            Assert.Single(gateway.ErrorLines, line => line.Length > 0));
        Assert.DoesNotContain(gateway.Lines, line => line.Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AHostWithoutASchemeIsLoggedWithTheSchemeItGets()
    {
        using var gateway = SampleGatewayProcess.Start(new Dictionary<string, string?>
        {
            ["LANGFUSE_PUBLIC_KEY"] = "pk-lf-1",
            ["LANGFUSE_SECRET_KEY"] = "sk-lf-1",
            ["LANGFUSE_HOST"] = "langfuse.internal:3000",
        });

        var line = await gateway.WaitForLineAsync(
            l => l.Contains("Exporting traces to Langfuse at", StringComparison.Ordinal) ? l : null,
            TimeSpan.FromSeconds(60));

        Assert.EndsWith(
            "Exporting traces to Langfuse at https://langfuse.internal:3000/api/public/otel/v1/traces",
            line.Trim(),
            StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "http://collector-user:otlp-s3cret@127.0.0.1:9/?api-key=otlp-s3cret",
        "OTLP at http://127.0.0.1:9/"
    )]
    [InlineData(
        "LANGFUSE_HOST",
        "https://collector-user:otlp-s3cret@langfuse.internal:3000",
        "Langfuse at https://langfuse.internal:3000/api/public/otel/v1/traces"
    )]
    public async Task AnEndpointIsLoggedWithoutItsUserInfoOrQuery(string variable, string endpoint, string shown)
    {
        // A careless operator's endpoint with a credential in it: the start-up line names where spans go, not the
        // credential.
        using var gateway = SampleGatewayProcess.Start(new Dictionary<string, string?>
        {
            ["LANGFUSE_PUBLIC_KEY"] = variable == "LANGFUSE_HOST" ? "pk-lf-1" : null,
            ["LANGFUSE_SECRET_KEY"] = variable == "LANGFUSE_HOST" ? "sk-lf-1" : null,
            [variable] = endpoint,
        });

        var line = await gateway.WaitForLineAsync(
            l => l.Contains("Exporting traces to", StringComparison.Ordinal) ? l : null,
            TimeSpan.FromSeconds(60));
        await SampleGatewayProcess.UrlAsync(gateway);

        Assert.EndsWith("Exporting traces to " + shown, line.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain(gateway.Lines, l => l.Contains("s3cret", StringComparison.Ordinal));
    }
}
