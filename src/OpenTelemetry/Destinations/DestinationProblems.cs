using System.Collections.Generic;

namespace TracedLlm;

/// <summary>
/// A single backend's problems, in its own words: the checks of a routed destination, naming the backend's variables
/// and section.
/// </summary>
internal static class DestinationProblems
{
    public static IReadOnlyList<string> Of(
        TraceDestinationOptions destination,
        string what,
        string section,
        string endpointVariable,
        string? apiKeyVariable = null,
        string? ratioVariable = null)
    {
        var problems = new List<string>();
        if (!DestinationAddress.TryCreate(destination, out _, out var problem))
        {
            problems.Add(
                $"{what}: the endpoint ({endpointVariable} or {section}:Endpoint) is not an http(s) URL, or its "
                + $"headers cannot be sent ({problem})");
        }

        if (apiKeyVariable is not null && string.IsNullOrWhiteSpace(destination.ApiKey))
        {
            problems.Add($"{what} needs {apiKeyVariable}, which is missing (or set {section}:ApiKey).");
        }

        if (double.IsNaN(destination.SamplingRatio) || destination.SamplingRatio is < 0 or > 1)
        {
            problems.Add(
                $"{what}: the sampling rate ({ratioVariable ?? section + ":SamplingRatio"}, or "
                + $"{section}:SamplingRatio) must be a number from 0 to 1.");
        }

        return problems;
    }
}
