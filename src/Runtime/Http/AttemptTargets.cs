using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace TracedLlm;

/// <summary>The target of a send through an HttpClient whose sends are attempts.</summary>
/// <remarks>
/// The provider (the client's option, else told from the URL), the model (the body's top-level <c>model</c>, else the
/// traced request's own), the endpoint (the URL's scheme, host and port: never its path or query, which may carry a
/// key), and the app's <see cref="TracedLlmAttemptOptions.NameTarget"/> hook last.
/// </remarks>
internal static class AttemptTargets
{
    /// <summary>
    /// The target of <paramref name="request"/>: read once per body (a re-send of the same content reuses it).
    /// </summary>
    public static async ValueTask<LlmTarget> OfAsync(
        HttpRequestMessage request,
        SendState state,
        TracedLlmAttemptOptions options,
        CancellationToken cancellationToken)
    {
        if (state.Target is { } known && ReferenceEquals(state.TargetContent, request.Content))
        {
            return known;
        }

        var model = await RequestModel
            .ReadAsync(request.Content, options.MaxBufferedRequestBytes, cancellationToken)
            .ConfigureAwait(false);
        return Remember(request, state, options, model);
    }

    /// <summary>As <see cref="OfAsync"/>, for a synchronous send: only a body already in memory is read.</summary>
    public static LlmTarget Of(
        HttpRequestMessage request,
        SendState state,
        TracedLlmAttemptOptions options,
        CancellationToken cancellationToken)
    {
        if (state.Target is { } known && ReferenceEquals(state.TargetContent, request.Content))
        {
            return known;
        }

        return Remember(request, state, options, RequestModel.Read(request.Content, cancellationToken));
    }

    private static LlmTarget Remember(
        HttpRequestMessage request,
        SendState state,
        TracedLlmAttemptOptions options,
        string? model)
    {
        var uri = request.RequestUri;
        var target = new LlmTarget(options.ProviderName ?? ProviderOf(uri), model ?? state.Call.Model ?? "unknown")
        {
            Endpoint = uri is { IsAbsoluteUri: true } ? new Uri(uri.GetLeftPart(UriPartial.Authority)) : null,
        };

        if (options.NameTarget is { } name)
        {
            target = name(request, target) ?? target;
        }

        state.Target = target;
        state.TargetContent = request.Content;
        return target;
    }

    /// <summary>
    /// The GenAI provider an API URL belongs to (the conventions' <c>gen_ai.provider.name</c> values): by the
    /// provider's own API host, else by the path.
    /// </summary>
    /// <remarks>
    /// Anthropic's messages API, or the OpenAI-compatible API every other server speaks.
    /// </remarks>
    internal static string ProviderOf(Uri? uri)
    {
        if (uri is not { IsAbsoluteUri: true })
        {
            return "openai";
        }

        var host = uri.Host;
        return host switch
        {
            "api.openai.com" => "openai",
            "api.anthropic.com" => "anthropic",
            "generativelanguage.googleapis.com" => "gcp.gemini",
            "api.mistral.ai" => "mistral_ai",
            "api.groq.com" => "groq",
            "api.deepseek.com" => "deepseek",
            "api.x.ai" => "x_ai",
            "api.perplexity.ai" => "perplexity",
            "api.cohere.com" or "api.cohere.ai" => "cohere",
            _ when host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase)
                    || host.EndsWith(".cognitiveservices.azure.com", StringComparison.OrdinalIgnoreCase)
                    || host.EndsWith(".services.ai.azure.com", StringComparison.OrdinalIgnoreCase) => "azure.ai.openai",
            _ when host.StartsWith("bedrock-runtime.", StringComparison.OrdinalIgnoreCase)
                    && host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase) => "aws.bedrock",
            _ when host.EndsWith("aiplatform.googleapis.com", StringComparison.OrdinalIgnoreCase) => "gcp.vertex_ai",
            _ when uri.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal) => "anthropic",
            _ => "openai",
        };
    }
}
