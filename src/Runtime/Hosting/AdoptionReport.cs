using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TracedLlm.Pipeline;

namespace TracedLlm;

/// <summary>
/// The adoption report: per traced route, every answer the pipeline gives that the app did not give before it adopted
/// TracedLlm.
/// </summary>
/// <remarks>
/// A refusal, a limit, the error format of the pipeline's own errors, headers; each with the setting that changes it.
/// Logged once at start and served in the manifest as <c>adoption</c> (docs/porting.md, "What clients see"). Computed
/// from the running app's endpoints, options and services, never on a request's path.
/// </remarks>
internal static class AdoptionReport
{
    private const string FormatSetting = "ErrorResponses on [TracedLlmRoute], or TracedLlm:ErrorResponses";

    /// <summary>Each traced route's answers that adoption added, in the data source's order.</summary>
    public static IReadOnlyList<RouteAdoption> Find(EndpointDataSource endpoints, IServiceProvider services)
    {
        var gateway = services.GetService<TracedLlmGateway>();
        if (gateway is null)
        {
            return Array.Empty<RouteAdoption>();
        }

        var apiBehavior = services.GetService<IOptions<ApiBehaviorOptions>>()?.Value;
        var found = new List<RouteAdoption>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints.Endpoints)
        {
            if (endpoint is RouteEndpoint route && route.Metadata.GetMetadata<TracedRouteInfo>() is { } info
                && seen.Add(info.HttpMethod + " " + route.RoutePattern.RawText))
            {
                var action = route.Metadata.GetMetadata<ActionDescriptor>() is not null;
                var validates = action && apiBehavior is { SuppressModelStateInvalidFilter: false }
                    && route.Metadata.GetMetadata<IApiBehaviorMetadata>() is not null;
                var name = $"{info.HttpMethod} /{route.RoutePattern.RawText?.TrimStart('/')}";
                found.Add(new RouteAdoption(name, info.Handler, Answers(info, gateway, action, validates)));
            }
        }

        return found;
    }

    /// <summary>What the route answers that its app did not.</summary>
    /// <remarks>
    /// <paramref name="action"/> for an MVC action, <paramref name="validates"/> when MVC answers its invalid models.
    /// </remarks>
    internal static IReadOnlyList<AdoptedAnswer> Answers(
        TracedRouteInfo info, TracedLlmGateway gateway, bool action, bool validates)
    {
        var options = gateway.Options;
        var responses = ErrorResponses.Of(info, options);
        var format = responses switch
        {
            LlmErrorResponses.ProblemDetails or LlmErrorResponses.Host => "problem details",
            LlmErrorResponses.Writer => "the app's ILlmErrorWriter",
            _ => $"{info.ErrorFormat}'s error JSON",
        };
        var input = validates && ErrorResponses.AppAnswersInput(info, options)
            ? "the app's validation response (InvalidModelStateResponseFactory), under the property's JSON path"
            : format;
        var answers = new List<AdoptedAnswer>
        {
            new("a property given twice in one object, or two names that differ only in case", $"400 in {input}",
                "none: a body readers could read two ways is always refused"),
            new($"a body larger than {Bytes(options.MaxRequestBodyBytes)}", $"413 in {format}",
                "TracedLlm:MaxRequestBodyBytes"),
        };
        if (!action)
        {
            // An action leaves these to MVC, which answers them as it did before.
            AddHostAnswers(answers, info, responses, format);
        }

        if (info.RefusesStream)
        {
            answers.Add(new("\"stream\": true", $"400 in {input}", "IgnoreStream = true on [TracedLlmRoute]"));
        }

        AddSlot(answers, info, options, input, action);
        if (gateway.Authenticator is not null)
        {
            answers.Add(new("a caller the ILlmAuthenticator refuses", $"401 or 403 in {format}", FormatSetting));
        }

        var guardrails = gateway.PreCallGuardrails.Length + gateway.DuringCallGuardrails.Length
            + gateway.PostCallGuardrails.Length;
        if (guardrails > 0)
        {
            answers.Add(new("a request a guardrail blocks", $"400 in {format}", FormatSetting));
        }

        answers.Add(new("an upstream failure or timeout from LlmCall.ExecuteAsync or StreamAsync",
            $"502, 503 or 504 in {format}", FormatSetting));
        if (options.AttemptResponseHeaders)
        {
            answers.Add(new("an answer after LlmCall.ExecuteAsync or StreamAsync",
                "x-litellm-attempted-retries and -fallbacks headers", "TracedLlm:AttemptResponseHeaders = false"));
        }

        return answers;
    }

    /// <summary>
    /// What a static handler's route answers that minimal APIs, or the app's own exception handling, answered before:
    /// nothing under <see cref="LlmErrorResponses.Host"/>, which leaves those answers to them.
    /// </summary>
    private static void AddHostAnswers(List<AdoptedAnswer> answers, TracedRouteInfo info, LlmErrorResponses responses,
        string format)
    {
        const string HostSetting =
            "ErrorResponses = LlmErrorResponses.Host on [TracedLlmRoute], or TracedLlm:ErrorResponses";
        if (info.RequestType is null)
        {
            // The body is the handler's to read: one the pipeline cannot read is handed to it as it came.
            answers.Add(new("a body sent as another media type than JSON", $"415 in {format}", FormatSetting));
            if (responses != LlmErrorResponses.Host)
            {
                answers.Add(new("a body that is not a JSON object, which the handler's JSON parser fails on",
                    $"400 in {format}", $"{HostSetting} (the app's exception handling, or the server's 500)"));
            }
        }
        else if (responses != LlmErrorResponses.Host)
        {
            answers.Add(new("a body the handler's type cannot bind (cut off, not JSON, a field of another type, none)",
                $"400 in {format}, naming the place", $"{HostSetting} (minimal APIs' 400 with no body)"));
            answers.Add(new("a body sent as another media type than JSON", $"415 in {format}",
                $"{HostSetting} (minimal APIs' 415 with no body)"));
        }

        if (responses != LlmErrorResponses.Host)
        {
            answers.Add(new("an exception the handler lets escape",
                $"500 in {format}; one that left an HttpClient with attempts: 502, 503 or 504",
                $"{HostSetting} (the app's exception handling, or the server's 500)"));
        }
    }

    private static void AddSlot(
        List<AdoptedAnswer> answers, TracedRouteInfo info, TracedLlmOptions options, string input, bool action)
    {
        var slot = info.MetadataSlot;
        if (slot.Length == 0)
        {
            return;
        }

        const string NoSlot = "MetadataSlot = MetadataSlots.None on [TracedLlmRoute]";
        var reader = action ? "MVC's binder" : "the upstream";
        if (info.MetadataSlotMode == MetadataSlotMode.Shared)
        {
            answers.Add(new($"a '{slot}' object", $"its gateway keys read and kept from {reader}, the rest passed on",
                NoSlot));
        }
        else
        {
            answers.Add(new($"a '{slot}' object", $"read as gateway metadata and kept from {reader}",
                $"{NoSlot}, or MetadataSlotMode = MetadataSlotMode.Shared"));
            if (!info.LenientMetadata || options.StrictMetadata)
            {
                answers.Add(new($"a '{slot}' value that is not an object, or a recognised key of another JSON type",
                    $"400 in {input}", info.LenientMetadata ? "TracedLlm:StrictMetadata = false" : NoSlot));
            }
        }

        var bounds = $"larger than {Bytes(options.MaxMetadataBytes)} or nested deeper than "
            + $"{options.MaxMetadataDepth} levels";
        const string Limits = "TracedLlm:MaxMetadataBytes, TracedLlm:MaxMetadataDepth";
        answers.Add(new($"a '{slot}' object {bounds}", $"400 in {input}", Limits));
    }

    private static string Bytes(int bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes";

    /// <summary>One line for the start-up log: each answer with its setting.</summary>
    public static string Describe(RouteAdoption route) =>
        string.Join("; ", route.Answers.Select(a => $"{a.When}: {a.Answer} (changed by {a.Setting})"));

    /// <summary>The report as the manifest's <c>adoption</c> array.</summary>
    public static string ToJson(IReadOnlyList<RouteAdoption> routes)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var route in routes)
            {
                json.WriteStartObject();
                json.WriteString("route", route.Route);
                json.WriteString("handler", route.Handler);
                json.WriteStartArray("answers");
                foreach (var answer in route.Answers)
                {
                    json.WriteStartObject();
                    json.WriteString("when", answer.When);
                    json.WriteString("answer", answer.Answer);
                    json.WriteString("setting", answer.Setting);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The manifest with the report added as its last property, <c>adoption</c>.</summary>
    public static string AddTo(string manifest, IReadOnlyList<RouteAdoption> routes)
    {
        var end = manifest.LastIndexOf('}');
        return string.Concat(manifest.AsSpan(0, end), ",\"adoption\":" + ToJson(routes), "}");
    }
}

/// <summary>One traced route's answers that adoption added.</summary>
/// <param name="Route">Its method and path, as the endpoint serves it.</param>
/// <param name="Handler">Its handler or action.</param>
/// <param name="Answers">What it answers that the app did not.</param>
internal sealed record RouteAdoption(string Route, string Handler, IReadOnlyList<AdoptedAnswer> Answers);

/// <summary>An answer adoption added: for which request, what is answered, and the setting that changes it.</summary>
internal sealed record AdoptedAnswer(string When, string Answer, string Setting);
