using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;

namespace TracedLlm;

/// <summary>
/// One place a gateway's traces go (a Langfuse project, Phoenix, LangSmith, any OTLP endpoint), whose callers it
/// receives, and what it gets.
/// </summary>
/// <remarks>
/// What it gets: content or not, which share of requests, every span or the generations only. Bound from
/// <c>TracedLlm:Routing:Destinations:{name}</c>. Its credentials are never shown by <see cref="ToString"/>, in a
/// problem's message or in a log.
/// </remarks>
public sealed class TraceDestinationOptions
{
    /// <summary>
    /// The backend, and so how <see cref="Endpoint"/> is read and which names are added at export. Default
    /// <see cref="TraceDestinationKind.Otlp"/>.
    /// </summary>
    public TraceDestinationKind Kind { get; set; }

    /// <summary>
    /// Where to send: for <see cref="TraceDestinationKind.Otlp"/> the traces URL (required, used as is), else the
    /// backend's host.
    /// </summary>
    /// <remarks>
    /// For Langfuse its host, for Phoenix its collector endpoint, for LangSmith its API endpoint (each with a default,
    /// and the backend's traces path added). <c>https://</c> is added when no scheme is given.
    /// </remarks>
    public string? Endpoint { get; set; }

    /// <summary>
    /// More request headers, as <c>name=value,name=value</c> (percent-encoded characters decoded), e.g. an OTLP
    /// backend's key. Never logged.
    /// </summary>
    public string? Headers { get; set; }

    /// <summary>The Langfuse project's public key (<c>pk-lf-...</c>); Langfuse only.</summary>
    public string? PublicKey { get; set; }

    /// <summary>The Langfuse project's secret key (<c>sk-lf-...</c>); Langfuse only. Never logged.</summary>
    public string? SecretKey { get; set; }

    /// <summary>
    /// The API key of Phoenix (optional: a local Phoenix has none) or LangSmith (required). Never logged.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// The Phoenix project (default <c>default</c>) or LangSmith project (default: LangSmith's own) the spans land in.
    /// </summary>
    public string? Project { get; set; }

    /// <summary>How long one export request may take, in milliseconds. Default 10,000 (OTLP's).</summary>
    public int TimeoutMilliseconds { get; set; } = 10_000;

    /// <summary>
    /// Whether the destination gets message content (the request's input and the answer), when the
    /// gateway records it (<c>TracedLlm:CaptureMessageContent</c>): false strips it at export for this
    /// destination alone. Default true: what the gateway records.
    /// </summary>
    public bool CaptureContent { get; set; } = true;

    /// <summary>The share of requests sent, from 0 to 1, chosen by trace id; default 1.</summary>
    /// <remarks>
    /// Chosen by trace id, a request is sent whole or not at all, and every destination with the same ratio keeps the
    /// same ones; a request's metadata <c>sample_rate</c> may only lower it.
    /// </remarks>
    public double SamplingRatio { get; set; } = 1;

    /// <summary>
    /// Every span of a request, or its generation only (<see cref="ExportScope.GenerationsOnly"/>). Default
    /// <see cref="ExportScope.All"/>.
    /// </summary>
    public ExportScope Scope { get; set; }

    /// <summary>The teams (<see cref="LlmCaller.TeamId"/>) whose requests come here.</summary>
    public List<string> Teams { get; } = new();

    /// <summary>The organisations (<see cref="LlmCaller.OrganizationId"/>) whose requests come here.</summary>
    public List<string> Organizations { get; } = new();

    /// <summary>
    /// The keys whose requests come here, by alias (<see cref="LlmCaller.KeyAlias"/>) or fingerprint
    /// (<see cref="LlmCaller.KeyHash"/>).
    /// </summary>
    public List<string> Keys { get; } = new();

    /// <summary>The users (<see cref="LlmCaller.UserId"/>) whose requests come here.</summary>
    public List<string> Users { get; } = new();

    /// <summary>
    /// Whether this destination receives the requests no destination names: unauthenticated and
    /// refused ones, open routes, and callers no rule matches (see <see cref="TraceRoutingOptions.DenyUnmatched"/>).
    /// </summary>
    public bool Default { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"TraceDestinationOptions {{ {Members()} }}";

    /// <summary>
    /// The members as <see cref="ToString"/> shows them (no key, no header value), for the options that describe
    /// themselves through a destination.
    /// </summary>
    internal string Members()
    {
        var endpoint = DestinationAddress.TryCreate(this, out var address, out _)
            ? OtlpResponses.Address(address.Endpoint)
            : "(not an http(s) URL)";
        var headers = DestinationAddress.TryParseHeaders(Headers, out var parsed, out _)
            ? string.Join(", ", parsed.Select(h => h.Name))
            : "(malformed)";
        var ratio = SamplingRatio.ToString(CultureInfo.InvariantCulture);
        return $"Kind = {Kind}, Endpoint = {endpoint}, PublicKey = {PublicKey ?? "(not set)"}, "
            + $"SecretKey = {Secret(SecretKey)}, ApiKey = {Secret(ApiKey)}, "
            + $"Headers = [{headers}], Project = {Project ?? "(default)"}, CaptureContent = {CaptureContent}, "
            + $"SamplingRatio = {ratio}, Scope = {Scope}, Default = {Default}";
    }

    /// <summary>
    /// Every problem of the destination named <paramref name="name"/>, each one sentence naming its configuration key
    /// (never a value that may be a credential).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void AddProblems(string name, List<string> problems)
    {
        var key = $"{TraceRoutingOptions.SectionName}:Destinations:{name}";
        if (!Enum.IsDefined(Kind))
        {
            problems.Add($"{key}:Kind must be Otlp, Langfuse, Phoenix or LangSmith (it is {(int)Kind}).");
            return;
        }

        if (!DestinationAddress.TryCreate(this, out _, out var problem))
        {
            problems.Add($"{key}: {problem}");
        }

        switch (Kind)
        {
            case TraceDestinationKind.Langfuse:
                Required(problems, key, nameof(PublicKey), PublicKey, "a Langfuse project's public key");
                Required(problems, key, nameof(SecretKey), SecretKey, "a Langfuse project's secret key");
                break;
            case TraceDestinationKind.LangSmith:
                Required(problems, key, nameof(ApiKey), ApiKey, "a LangSmith API key");
                break;
        }

        if (double.IsNaN(SamplingRatio) || SamplingRatio is < 0 or > 1)
        {
            problems.Add(
                $"{key}:SamplingRatio must be between 0 and 1 (it is "
                + $"{SamplingRatio.ToString(CultureInfo.InvariantCulture)}).");
        }

        if (TimeoutMilliseconds < 1)
        {
            problems.Add($"{key}:TimeoutMilliseconds must be at least 1 (it is {TimeoutMilliseconds}).");
        }

        if (!Enum.IsDefined(Scope))
        {
            problems.Add($"{key}:Scope must be All or GenerationsOnly (it is {(int)Scope}).");
        }

        foreach (var (list, listName) in new[]
            {
                (Teams, nameof(Teams)),
                (Organizations, nameof(Organizations)),
                (Keys, nameof(Keys)),
                (Users, nameof(Users))
            })
        {
            if (list.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"{key}:{listName} must not hold an empty entry.");
            }
        }
    }

    private static void Required(List<string> problems, string key, string property, string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            problems.Add($"{key}:{property} is {(value is null ? "missing" : "empty")}: the destination needs {what}.");
        }
    }

    private static string Secret(string? value) => string.IsNullOrEmpty(value) ? "(not set)" : "***";
}
