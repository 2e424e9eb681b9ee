using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace TracedLlm.Analyzers.Tests.Stress;

/// <summary>
/// A multi-route gateway as a team writes one, with something for every rule to find: routes on
/// both slots that throw (so many operation blocks ask for the failure-filter table at once), a
/// guardrail that swallows, an authenticator that reads the other slot's key, a failure filter,
/// a helper every route calls, a span left open and an upstream call outside an attempt.
/// </summary>
internal static class StressGateway
{
    public const string Shared = """
        using System;
        using System.Diagnostics;
        using System.Net.Http;
        using System.Threading;
        using System.Threading.Tasks;
        using TracedLlm;

        namespace Stress;

        public sealed record Ask(string? Model, string? Prompt)
        {
            public System.Collections.Generic.Dictionary<string, string>? Metadata { get; init; }
        }

        public sealed record Answer(string Text);

        public class UpstreamFailure : Exception { public UpstreamFailure(string message) : base(message) { } }

        public sealed class QuotaExceeded : Exception { public QuotaExceeded(string message) : base(message) { } }

        public static class Telemetry { public static readonly ActivitySource Source = new("Stress"); }

        public static class FailureFilter
        {
            [FailureLoggingPath]
            public static bool ShouldLog(Exception exception) =>
                exception is UpstreamFailure or InvalidLlmRequestException;
        }

        public static class Metadata
        {
            public static string? Read(LlmCall call) => call.HttpContext.Items["metadata"] as string;
        }

        public sealed class KeyAuthenticator : ILlmAuthenticator
        {
            public ValueTask<AuthResult> AuthenticateAsync(LlmCall llmCall, CancellationToken cancellationToken)
            {
                if (llmCall.HttpContext.Items["litellm_metadata"] is null)
                {
                    throw new QuotaExceeded("no metadata");
                }

                return ValueTask.FromResult(AuthResult.Success());
            }
        }

        public sealed class PromptGuardrail : ILlmGuardrail
        {
            public string Name => "prompt";

            public GuardrailMode Modes => GuardrailMode.PreCall;

            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context, CancellationToken cancellationToken)
            {
                try
                {
                    if (context.Request is Ask { Prompt: null })
                    {
                        throw new InvalidOperationException("empty prompt");
                    }
                }
                catch (InvalidOperationException)
                {
                }

                return ValueTask.FromResult(GuardrailVerdict.Allow);
            }
        }
        """;

    /// <summary>
    /// The shared file and one file of routes per group, each group with a chat, a messages and an embeddings route.
    /// </summary>
    public static IReadOnlyList<(string Name, string Text)> Sources(int groups)
    {
        var files = new List<(string Name, string Text)> { ("Shared.cs", Shared) };
        for (var group = 0; group < groups; group++)
        {
            files.Add(($"Routes{group}.cs", Routes(group)));
        }

        // In the order a build passes them to the compiler: MSBuild's glob, by name.
        return files.OrderBy(file => file.Name, System.StringComparer.Ordinal).ToList();
    }

    private static string Routes(int group)
    {
        var text = new StringBuilder();
        text.Append($$"""
            using System;
            using System.Net.Http;
            using System.Threading.Tasks;
            using TracedLlm;

            namespace Stress;

            public static class Routes{{group}}
            {
                [TracedLlmRoute("POST", "/g{{group}}/v1/chat/completions")]
                public static async Task<Answer> Chat(Ask ask, LlmCall call, HttpClient http)
                {
                    if (ask.Model is null)
                    {
                        throw new InvalidOperationException("model is required");
                    }

                    var span = Telemetry.Source.StartActivity("lookup");
                    using var embedded = await http.PostAsync("http://upstream/v1/embeddings", new StringContent("{}"));
                    return await call.ExecuteAsync(new LlmTarget("openai", ask.Model), LlmRetryPolicy.None,
                        async (attempt, ct) =>
                    {
                        using var response = await http.PostAsync("http://upstream/chat", new StringContent("{}"), ct);
                        var text = await response.Content.ReadAsStringAsync(ct);
                        return new Answer(text + embedded.StatusCode + Metadata.Read(call));
                    });
                }

                [TracedLlmRoute("POST", "/g{{group}}/v1/messages", MetadataSlot = "litellm_metadata")]
                public static Answer Messages(Ask ask, LlmCall call)
                {
                    if (ask.Prompt is null)
                    {
                        throw new QuotaExceeded("prompt");
                    }

                    try
                    {
                        return new Answer(Metadata.Read(call) ?? "none");
                    }
                    catch (Exception)
                    {
                        // Answers the client with an error by hand: TLLM2004 (a fallback alone is TLLM2007's, off by
                        // default).
                        call.HttpContext.Response.StatusCode = 502;
                        return new Answer("fallback");
                    }
                }

                [TracedLlmRoute("POST", "/g{{group}}/v1/embeddings")]
                public static Answer Embeddings(Ask ask)
                {
                    if (ask.Model is null)
                    {
                        throw new InvalidLlmRequestException("model is required");
                    }

                    return ask.Prompt is null ? throw new UpstreamFailure("no prompt") : new Answer(ask.Prompt);
                }
            }
            """);
        return text.ToString();
    }
}
