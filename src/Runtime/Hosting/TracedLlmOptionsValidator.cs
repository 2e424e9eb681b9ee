using System;
using System.Collections.Generic;
using Microsoft.Extensions.Options;

namespace TracedLlm;

/// <summary>
/// Checks <see cref="TracedLlmOptions"/> when the host starts, with one message per wrong value
/// naming its configuration key.
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
        if (options.FailureLoggerTimeout <= TimeSpan.Zero
            && options.FailureLoggerTimeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            failures.Add(
                $"{TracedLlmOptions.SectionName}:{nameof(TracedLlmOptions.FailureLoggerTimeout)} must be longer "
                + $"than zero, or -00:00:00.001 for no limit (it is {options.FailureLoggerTimeout}).");
        }

        var limits = options.Limits;
        AtLeast(
            failures,
            "Limits:" + nameof(TelemetryLimits.MaxAttributeValueLength),
            limits.MaxAttributeValueLength,
            0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxAttributesPerSpan), limits.MaxAttributesPerSpan, 0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxEventsPerSpan), limits.MaxEventsPerSpan, 0);
        AtLeast(failures, "Limits:" + nameof(TelemetryLimits.MaxMetadataKeys), limits.MaxMetadataKeys, 0);
        AtLeast(
            failures,
            "Limits:" + nameof(TelemetryLimits.MaxTelemetryBytesPerRequest),
            limits.MaxTelemetryBytesPerRequest,
            0);
        options.Pricing.Validate(failures, TracedLlmOptions.SectionName + ":" + nameof(TracedLlmOptions.Pricing));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AtLeast(List<string> failures, string key, int value, int minimum)
    {
        if (value < minimum)
        {
            failures.Add($"{TracedLlmOptions.SectionName}:{key} must be at least {minimum} (it is {value}).");
        }
    }
}
