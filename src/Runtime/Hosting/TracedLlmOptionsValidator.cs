using System;
using System.Collections.Generic;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// Reads <see cref="TracedLlmOptions"/> from configuration and checks them when the host starts,
/// with one message per wrong value naming its configuration key.
/// </summary>
internal sealed class TracedLlmOptionsValidator : IValidateOptions<TracedLlmOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TracedLlmOptions options)
    {
        var failures = new List<string>();
        AtLeast(failures, nameof(TracedLlmOptions.MaxRequestBodyBytes), options.MaxRequestBodyBytes, 1);
        AtLeast(failures, nameof(TracedLlmOptions.MaxMetadataBytes), options.MaxMetadataBytes, 1);
        AtLeast(failures, nameof(TracedLlmOptions.MaxMetadataDepth), options.MaxMetadataDepth, 1);
        AtLeast(failures, nameof(TracedLlmOptions.MaxContentLength), options.MaxContentLength, 0);
        if (options.FailureLoggerTimeout <= TimeSpan.Zero && options.FailureLoggerTimeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            failures.Add($"{TracedLlmOptions.SectionName}:{nameof(TracedLlmOptions.FailureLoggerTimeout)} must be longer than zero, or -00:00:00.001 for no limit (it is {options.FailureLoggerTimeout}).");
        }

        var limits = options.Limits;
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxAttributeValueLength), limits.MaxAttributeValueLength, 0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxAttributesPerSpan), limits.MaxAttributesPerSpan, 0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxEventsPerSpan), limits.MaxEventsPerSpan, 0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxMetadataKeys), limits.MaxMetadataKeys, 0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxTelemetryBytesPerRequest), limits.MaxTelemetryBytesPerRequest, 0);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// The standard variables first (they are defaults: present in <paramref name="configuration"/>
    /// when they are in the environment), then the <c>TracedLlm</c> section over them.
    /// </summary>
    internal static void ReadFrom(TracedLlmOptions options, IConfiguration configuration)
    {
        if (configuration["OTEL_IGNORE_CONTEXT_PROPAGATION"] is { } ignore)
        {
            options.IgnoreContextPropagation = TracedLlmOptions.IsTrue(ignore);
        }

        if (configuration["TRACEDLLM_CAPTURE_MESSAGE_CONTENT"] is { } capture)
        {
            options.CaptureMessageContent = TracedLlmOptions.IsTrue(capture);
        }
        else if (configuration["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] is { } genAiCapture)
        {
            options.CaptureMessageContent = TracedLlmOptions.IsTrue(genAiCapture);
        }

        if (configuration["LANGFUSE_TRACING_ENVIRONMENT"] is { Length: > 0 } environment)
        {
            options.DefaultEnvironment = environment;
        }

        if (configuration["TRACEDLLM_API_KEY_FINGERPRINT_SECRET"] is { Length: > 0 } fingerprintSecret)
        {
            options.ApiKeyFingerprintSecret = fingerprintSecret;
        }

        options.Limits.ReadVariables(key => configuration[key]);

        // Source-generated binding (EnableConfigurationBindingGenerator): no reflection, AOT-safe.
        configuration.GetSection(TracedLlmOptions.SectionName).Bind(options);
    }

    private static void AtLeast(List<string> failures, string key, int value, int minimum)
    {
        if (value < minimum)
        {
            failures.Add($"{TracedLlmOptions.SectionName}:{key} must be at least {minimum} (it is {value}).");
        }
    }
}
