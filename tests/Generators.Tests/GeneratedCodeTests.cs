using System;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators.Tests;

/// <summary>The generated code compiles clean, and its route table is what the attributes say.</summary>
public sealed class GeneratedCodeTests
{
    [Fact]
    public void GeneratedCodeCompilesWithoutWarnings()
    {
        var run = GeneratorHarness.Run(Sources.Gateway);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
        Assert.Equal(
            new[]
            {
                "Contoso_Gateway_Routes_Chat.g.cs",
                "Contoso_Gateway_Routes_Embeddings.g.cs",
                "Contoso_Gateway_Routes_Messages.g.cs",
                "Contoso_Gateway_Routes_Responses.g.cs",
                "TracedLlmRoutes.g.cs"
            },
            run.Result.Results.Single().GeneratedSources.Select(s => s.HintName).OrderBy(n => n, StringComparer.Ordinal)
        );
    }

    [Fact]
    public void RouteTableMapsEachPathToItsSlot()
    {
        var assembly = Load(GeneratorHarness.Run(Sources.Gateway).Output);
        var table = assembly.GetType("TracedLlm.Generated.TracedLlmRouteTable")!;
        string? Slot(string path) => (string?)table.GetMethod("GetMetadataSlot")!.Invoke(null, new object[] { path });

        Assert.Equal("metadata", Slot("/v1/chat/completions"));
        Assert.Equal("litellm_metadata", Slot("/v1/messages"));
        Assert.Equal("gateway_meta", Slot("/v1/embeddings"));
        Assert.Null(Slot("/v1/unknown"));

        // The result and chunk types travel as typeof (for OpenAPI); an IResult route has none. A class
        // with no attribute is the body unless DI has it: its RequestType is set when the route is mapped.
        var routes = (System.Collections.Generic.IReadOnlyList<TracedRouteInfo>)
            table.GetProperty("Routes")!.GetValue(null)!;
        Type Contoso(string name) => assembly.GetType("Contoso.Gateway." + name, throwOnError: true)!;
        Assert.Equal(
            new[]
            {
                new TracedRouteInfo(
                    "POST",
                    "/v1/chat/completions",
                    "metadata",
                    WireFormat.OpenAI,
                    "chat",
                    "Contoso.Gateway.Routes.Chat")
                {
                    ResponseType = Contoso("ChatResponse"), StreamChunkType = Contoso("ChatChunk"),
                    LenientMetadata = true,
                },
                new TracedRouteInfo(
                    "POST",
                    "/v1/embeddings",
                    "gateway_meta",
                    WireFormat.Anthropic,
                    "embeddings",
                    "Contoso.Gateway.Routes.Embeddings"),
                new TracedRouteInfo(
                    "POST",
                    "/v1/messages",
                    "litellm_metadata",
                    WireFormat.Anthropic,
                    "chat",
                    "Contoso.Gateway.Routes.Messages")
                {
                    ResponseType = Contoso("ChatResponse"), LenientMetadata = true,
                },
                new TracedRouteInfo(
                    "POST",
                    "/v1/responses",
                    "litellm_metadata",
                    WireFormat.OpenAI,
                    "chat",
                    "Contoso.Gateway.Routes.Responses")
                {
                    StreamChunkType = Contoso("ChatChunk"), LenientMetadata = true,
                },
            },
            routes.Select(r => r with { Parameters = Array.Empty<TracedRouteParameter>() }));

        // Each handler's parameters, with where each comes from.
        Assert.Equal(
            new[]
            {
                new TracedRouteParameter(
                    "Chat",
                    "request",
                    Contoso("ChatRequest"),
                    TracedParameterSource.BodyOrService),
                new TracedRouteParameter("Chat", "call", typeof(LlmCall), TracedParameterSource.LlmCall),
                new TracedRouteParameter("Chat", "upstream", Contoso("IUpstream"), TracedParameterSource.Service),
                new TracedRouteParameter(
                    "Chat",
                    "cancellationToken",
                    typeof(System.Threading.CancellationToken),
                    TracedParameterSource.CancellationToken),
                new TracedRouteParameter(
                    "ChatStream",
                    "request",
                    Contoso("ChatRequest"),
                    TracedParameterSource.BodyOrService),
                new TracedRouteParameter("ChatStream", "call", typeof(LlmCall), TracedParameterSource.LlmCall),
                new TracedRouteParameter(
                    "ChatStream",
                    "cancellationToken",
                    typeof(System.Threading.CancellationToken),
                    TracedParameterSource.CancellationToken),
            },
            routes[0].Parameters);
    }

    [Fact]
    public void HandlerParametersThatClashWithPipelineLocalsStillCompile()
    {
        var run = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using TracedLlm;

            namespace Contoso;

            internal sealed class Body { public string? Server { get; set; } }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Task<Body> Chat(Body server, LlmCall llm, System.IServiceProvider gateway) =>
                    Task.FromResult(server);
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
    }

    [Fact]
    public void ABodyWhoseTypeArgumentsAreNullableCompilesWithoutWarnings()
    {
        // The body is read as the declared type, type arguments' nullability included: read as
        // Dictionary<string, object> and passed on, it was warning CS8620 (an error with warnings as errors).
        var run = RunClean("""
            using System.Collections.Generic;
            using Microsoft.AspNetCore.Mvc;
            using TracedLlm;

            namespace Contoso;

            internal sealed record Message(string? Text);
            internal sealed record Conversation<T>(List<T> Messages);
            internal sealed record Reply(string Text);

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(Dictionary<string, object?> request) => new("chat");

                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async IAsyncEnumerable<Reply> ChatStream(Dictionary<string, object?> request)
                {
                    await System.Threading.Tasks.Task.Yield();
                    yield return new Reply("chunk");
                }

                [TracedLlmRoute("POST", "/v1/messages")]
                public static Reply Messages([FromBody] Conversation<Message?>? request) => new("messages");

                [TracedLlmRoute("POST", "/v1/responses")]
                public static Reply Responses(Conversation<string?>? request) => new("responses");
            }
            """);

        Assert.Contains(
            "PreCallStage.ReadRequestOrService<global::System.Collections.Generic.Dictionary<string, object?>>(call, "
            + "optional: false)",
            run.Source("Contoso_Routes_Chat.g.cs"),
            StringComparison.Ordinal);
        Assert.Contains(
            "PreCallStage.ReadRequest(call, "
            + "gateway.GetTypeInfo<global::Contoso.Conversation<global::Contoso.Message?>>())",
            run.Source("Contoso_Routes_Messages.g.cs"),
            StringComparison.Ordinal);
    }

    [Fact]
    public void ObsoleteHandlersAndTheTypesTheyTakeCompileWithoutWarnings()
    {
        // A deprecated route kept mapped, and types marked [Obsolete] that the consumer's own code uses
        // with CS0618 suppressed: the pipeline's calls are not the consumer's to fix (CS0612, CS0618).
        var run = RunClean("""
            using System;
            using TracedLlm;

            namespace Contoso;

            [Obsolete("Use Request.")]
            internal sealed record OldRequest(string Model);

            [Obsolete]
            internal sealed record OldReply(string Text);

            [Obsolete("Use IUpstream.")]
            internal interface IOldUpstream { }

            internal sealed record Reply(string Text);

            #pragma warning disable CS0612, CS0618
            internal static class Routes
            {
                [Obsolete("Use /v2/chat/completions.")]
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static OldReply Chat(OldRequest request, IOldUpstream upstream) => new("chat");
            }
            #pragma warning restore CS0612, CS0618

            [Obsolete("Use Routes.")]
            internal static class LegacyRoutes
            {
                [TracedLlmRoute("POST", "/v0/chat/completions")]
                public static Reply Chat(LlmCall call) => new("legacy");
            }
            """);

    }

    [Fact]
    public void FloatingPointAndDecimalDefaultsAreTheirExactValues()
    {
        // Each default as a literal of its own type: a decimal through a double cast lost its digits
        // past the 15th (or did not compile, past a double's range), and NaN or infinity was a name
        // that does not exist.
        var run = RunClean("""
            using Microsoft.AspNetCore.Mvc;
            using TracedLlm;

            namespace Contoso;

            internal sealed record Reply(string Text);

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Reply Chat(
                    LlmCall call,
                    [FromQuery] decimal budget = 12345678.123456789m,
                    [FromQuery] decimal ceiling = decimal.MaxValue,
                    [FromQuery] double temperature = 0.7,
                    [FromQuery] double threshold = double.NaN,
                    [FromQuery] double? limit = double.PositiveInfinity,
                    [FromQuery] float topP = 0.1f,
                    [FromQuery] float floor = float.NegativeInfinity) => new("chat");
            }
            """);

        var chat = run.Source("Contoso_Routes_Chat.g.cs");
        string[] defaults =
        {
            "Parsable<decimal>(), (decimal)(12345678.123456789M))",
            "Parsable<decimal>(), (decimal)(79228162514264337593543950335M))",
            "Parsable<double>(), (double)(0.7D))",
            "Parsable<double>(), (double)(global::System.Double.NaN))",
            "Parsable<double>()) ?? (double)(global::System.Double.PositiveInfinity);",
            "Parsable<float>(), (float)(0.1F))",
            "Parsable<float>(), (float)(global::System.Single.NegativeInfinity))",
        };
        Assert.All(defaults, expected => Assert.Contains("ParameterStage." + expected, chat, StringComparison.Ordinal));
    }

    [Fact]
    public void LegalButUnusualNamesAndKeysCompile()
    {
        // A handler named like a keyword (@default), a service keyed by a type, and a streaming
        // handler whose service has the name the regular handler gives the body (its local was
        // declared twice, CS0136).
        var run = RunClean("""
            using System.Collections.Generic;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.Extensions.DependencyInjection;
            using TracedLlm;

            namespace Contoso;

            internal sealed record Body(string? Model);
            internal interface IUpstream { }
            internal sealed class FastUpstream : IUpstream { }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/embeddings")]
                public static Body @default(Body request,
                    [FromKeyedServices(typeof(FastUpstream))] IUpstream upstream) => request;

                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Body @checked(Body request, [FromQuery] string? request2) => request;

                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async IAsyncEnumerable<Body> @event(Body body, [FromServices] IUpstream request,
                    [FromQuery] string? request2)
                {
                    await System.Threading.Tasks.Task.Yield();
                    yield return body;
                }
            }
            """);

        Assert.Contains(
            "var result = global::Contoso.Routes.@default(requestArgument, upstreamArgument);",
            run.Source("Contoso_Routes_default.g.cs"),
            StringComparison.Ordinal);
        Assert.Contains(
            "GetRequiredKeyedService<global::Contoso.IUpstream>(httpContext.RequestServices, "
            + "typeof(global::Contoso.FastUpstream))",
            run.Source("Contoso_Routes_default.g.cs"),
            StringComparison.Ordinal);
        Assert.Contains(
            "var chunks = global::Contoso.Routes.@event(requestArgument, requestStreamArgument, request2Argument);",
            run.Source("Contoso_Routes_checked.g.cs"),
            StringComparison.Ordinal);
    }

    [Fact]
    public void HandlersWhosePathsDifferOnlyByUnderscoreOrDotEachGetTheirClass()
    {
        // `Routes_V1.Chat` and `Routes.V1.Chat` both flattened to Contoso_Routes_V1_Chat: one hint name
        // twice, and the generator stopped (CS8785) with no route and no MapTracedLlmRoutes().
        var run = RunClean("""
            using TracedLlm;

            namespace Contoso;

            internal sealed record Body(string? Model);

            internal static class Routes_V1
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static Body Chat(Body request) => request;
            }

            internal static class Routes
            {
                internal static class V1
                {
                    [TracedLlmRoute("POST", "/v2/chat/completions")]
                    public static Body Chat(Body request) => request;
                }
            }
            """);

        var hintNames = run.Result.Results.Single().GeneratedSources.Select(s => s.HintName).ToList();
        Assert.Contains("Contoso_Routes_V1_Chat.g.cs", hintNames);
        Assert.Single(hintNames, name => name.StartsWith("Contoso_Routes_V1_Chat_", StringComparison.Ordinal));
        Assert.Equal(3, hintNames.Count);
    }

    [Fact]
    public void UserTypesNamedLikeTheGeneratedAliasesStillCompile()
    {
        // Every alias name the generated files use, declared by the consumer in the global namespace,
        // in the handler's namespace and in a namespace called TracedLlm under it; plus the runtime's
        // own type names. The aliases sit inside namespace TracedLlm.Generated, so none of these is
        // found first.
        string[] names =
        {
            "Activity",
            "AuthStage",
            "EnvelopeReader",
            "Exception",
            "FailurePath",
            "GuardrailMode",
            "HttpContext",
            "LlmStage",
            "PreCallStage",
            "RequestEnvelope",
            "RequestStage",
            "ResultStage",
            "ServiceProviderServiceExtensions",
            "Stopwatch",
            "StreamStage",
            "Task",
            "TracedLlmGateway",
            "TracedLlmOptions",
            "TracedRouteInfo",
            "Utf8JsonReader",
            "WireFormat",
            "ParameterStage",
            "ServiceProviderKeyedServiceExtensions",
            "TracedParameterSource",
            "TracedRouteParameter",
            "LlmCall",
        };
        var clashing = string.Join("\n", names.Select(name => $"internal sealed class {name} {{ }}"));
        var run = GeneratorHarness.Run(
            clashing,
            $$"""
            namespace Contoso.TracedLlm
            {
                {{clashing}}
            }

            namespace Contoso
            {
                {{clashing.Replace("LlmCall", "Unused", StringComparison.Ordinal)}}

                internal interface IUpstream { }

                internal sealed class Body { public string? Model { get; set; } }

                internal static class Routes
                {
                    [global::TracedLlm.TracedLlmRoute("POST", "/v1/chat/completions")]
                    public static global::System.Threading.Tasks.Task<Body> Chat(
                        Body request,
                        global::TracedLlm.LlmCall call,
                        IUpstream upstream,
                        global::Microsoft.AspNetCore.Http.HttpContext httpContext,
                        global::System.Threading.CancellationToken cancellationToken,
                        [global::Microsoft.AspNetCore.Mvc.FromQuery] int? n,
                        [global::Microsoft.Extensions.DependencyInjection.FromKeyedServices("spare")]
                        IUpstream spare) =>
                        global::System.Threading.Tasks.Task.FromResult(request);

                    [global::TracedLlm.TracedLlmRoute("POST", "/v1/chat/completions")]
                    public static async global::System.Collections.Generic.IAsyncEnumerable<Body> ChatStream(
                        Body request, IUpstream? upstream)
                    {
                        await global::System.Threading.Tasks.Task.Yield();
                        yield return request;
                    }
                }
            }
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
        var chat = run.Source("Contoso_Routes_Chat.g.cs");
        Assert.Contains(
            "using RequestStage = global::TracedLlm.Pipeline.RequestStage;",
            chat,
            StringComparison.Ordinal);
        Assert.Contains(
            "using ParameterStage = global::TracedLlm.Pipeline.ParameterStage;",
            chat,
            StringComparison.Ordinal);
        Assert.Contains(
            "using ServiceProviderKeyedServiceExtensions = "
            + "global::Microsoft.Extensions.DependencyInjection.ServiceProviderKeyedServiceExtensions;",
            chat,
            StringComparison.Ordinal);
    }

    [Fact]
    public void AStreamingHandlerBesideARegularOneSharesItsRoute()
    {
        var chat = GeneratorHarness.Run(Sources.Gateway).Source("Contoso_Gateway_Routes_Chat.g.cs");

        Assert.Contains("if (call.Parameters.Stream)", chat, StringComparison.Ordinal);
        Assert.Contains(
            "var chunks = global::Contoso.Gateway.Routes.ChatStream(requestArgument, call, call.CancellationToken);",
            chat,
            StringComparison.Ordinal);
        Assert.Contains(
            "var result = await global::Contoso.Gateway.Routes.Chat(requestArgument, call, upstreamArgument, "
            + "call.CancellationToken).ConfigureAwait(false);",
            chat,
            StringComparison.Ordinal);
        Assert.DoesNotContain("RejectStreaming", chat, StringComparison.Ordinal);
    }

    [Fact]
    public void AStreamingHandlerWithADifferentBodyIsTLLM1001()
    {
        var run = GeneratorHarness.Run("""
            using System.Collections.Generic;
            using TracedLlm;

            namespace Contoso;

            internal sealed class A { public string? Model { get; set; } }
            internal sealed class B { public string? Model { get; set; } }

            internal static class Routes
            {
                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static A Chat(A request) => request;

                [TracedLlmRoute("POST", "/v1/chat/completions")]
                public static async IAsyncEnumerable<A> ChatStream(B request)
                {
                    await System.Threading.Tasks.Task.Yield();
                    yield return new A();
                }
            }
            """);

        var diagnostic = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("TLLM1001", diagnostic.Id);
        Assert.Equal(
            "Cannot generate the traced route for 'Contoso.Routes.Chat': the streaming handler 'ChatStream' reads "
            + "the body as `request` (Contoso.B), but 'Chat' reads the body as `request` (Contoso.A): both handlers "
            + "of a route read one request body; or serve both stream modes from one handler that returns "
            + "LlmResult<TResponse, TChunk>",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void OneHandlerServesBothStreamModes()
    {
        var run = GeneratorHarness.Run(SnapshotScenarios.OneHandler);
        var chat = run.Source("Contoso_OneHandler_Routes_Chat.g.cs");

        // What the handler returned decides the writer; "stream": true is never refused.
        Assert.Contains("if (result.IsStream)", chat, StringComparison.Ordinal);
        Assert.Contains(
            "await StreamStage.WriteAsync(call, result.Chunks, "
            + "gateway.GetTypeInfo<global::Contoso.OneHandler.ChatChunk>()).ConfigureAwait(false);",
            chat,
            StringComparison.Ordinal);
        Assert.Contains("else if (result.HttpResult is { } httpResult)", chat, StringComparison.Ordinal);
        Assert.Contains(
            "await ResultStage.WriteAsync(call, response, resultTypeInfo).ConfigureAwait(false);",
            chat,
            StringComparison.Ordinal);
        Assert.DoesNotContain("RejectStreaming", chat, StringComparison.Ordinal);

        // An IResult handler (a relay's shape) serves both modes too; a typed one whose type never read
        // "stream" answers it with its JSON, as the app did.
        Assert.DoesNotContain(
            "RejectStreaming",
            run.Source("Contoso_OneHandler_Routes_Responses.g.cs"),
            StringComparison.Ordinal);
        var embeddings = run.Source("Contoso_OneHandler_Routes_Embeddings.g.cs");
        Assert.DoesNotContain("RejectStreaming", embeddings, StringComparison.Ordinal);
        const string Answered = "which answers a body asking for a stream with JSON (its body type has no 'stream')";
        Assert.Contains(Answered, embeddings, StringComparison.Ordinal);

        var assembly = Load(run.Output);
        var manifest = (string)
            assembly.GetType("TracedLlm.Generated.TracedLlmRouteTable")!.GetField("ManifestJson")!.GetValue(null)!;
        using var json = System.Text.Json.JsonDocument.Parse(manifest);
        var streaming = json.RootElement
            .GetProperty("routes")
            .EnumerateArray()
            .ToDictionary(r => r.GetProperty("path").GetString()!, r => r.GetProperty("streaming").GetString());
        Assert.Equal("handler", streaming["/v1/chat/completions"]);
        Assert.Equal("handler", streaming["/v1/messages"]);
        Assert.Equal("handler", streaming["/v1/responses"]);
        Assert.Equal("ignored", streaming["/v1/embeddings"]);

        var routes = (System.Collections.Generic.IReadOnlyList<TracedRouteInfo>)
            assembly.GetType("TracedLlm.Generated.TracedLlmRouteTable")!.GetProperty("Routes")!.GetValue(null)!;
        var chatRoute = routes.Single(r => r.Pattern == "/v1/chat/completions");
        Assert.Equal("Contoso.OneHandler.ChatResponse", chatRoute.ResponseType?.FullName);
        Assert.Equal("Contoso.OneHandler.ChatChunk", chatRoute.StreamChunkType?.FullName);
    }

    [Fact]
    public void NoRoutesStillEmitsMapTracedLlmRoutes()
    {
        var run = GeneratorHarness.Run("""
            namespace Contoso;

            internal static class Startup
            {
                public static void Map(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder endpoints) =>
                    Microsoft.AspNetCore.Builder.TracedLlmEndpointRouteBuilderExtensions.MapTracedLlmRoutes(endpoints);
            }
            """);

        Assert.Empty(run.CompilationProblems());
        Assert.Contains(
            "var routes = global::TracedLlm.TracedLlmRouteBuilder.Create(endpoints, "
            + "global::TracedLlm.Generated.TracedLlmRouteTable.ManifestJson);\n            return routes;",
            run.Source("TracedLlmRoutes.g.cs"),
            StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the generator on a consumer's source; the generated code must compile with no error and no warning.
    /// </summary>
    private static GeneratorRun RunClean(string source)
    {
        var run = GeneratorHarness.Run(source);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompilationProblems());
        return run;
    }

    [Fact]
    public void TheAssemblyListsItsTracedActionsForMvc()
    {
        var assembly = Load(GeneratorHarness.Run(SnapshotScenarios.Controllers).Output);
        var table = assembly.GetCustomAttribute<TracedLlm.Pipeline.TracedActionTableAttribute>();
        Assert.NotNull(table);
        var actions = table.Actions.ToDictionary(a => a.Method);
        Assert.Equal(
            new[] { "Complete", "CreateAsync", "Messages", "Relay" },
            actions.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("\"path\":\"/v1/Chat/completions\"", table.ManifestJson, StringComparison.Ordinal);

        // Each is told from its overloads by its parameter types: the traced Relay, not Relay(request, id).
        var controller = assembly.GetType("Contoso.Controllers.ChatController", throwOnError: true)!;
        var relays = controller.GetMethods().Where(m => m.Name == "Relay").ToList();
        Assert.Equal(2, relays.Count);
        var traced = Assert.Single(relays, m => m.GetParameters().Length == 1);
        Assert.Equal(traced.GetParameters().Select(p => p.ParameterType), actions["Relay"].ParameterTypes);
        Assert.Equal(controller, actions["Relay"].Controller);

        // A typed action whose type never read "stream" answers it with JSON; one that writes its own result, or an
        // LlmResult, streams.
        Assert.False(actions["Complete"].RefusesStream);
        Assert.False(actions["CreateAsync"].RefusesStream);
        Assert.False(actions["Relay"].RefusesStream);
        Assert.False(actions["Messages"].RefusesStream);
        Assert.NotNull(actions["Messages"].Unwrap);
        Assert.Null(actions["Complete"].Unwrap);

        // The routes: MVC's paths, the slot and errors chosen on the attribute, the conventional path by controller and
        // action.
        Assert.Equal("/v1/Chat/completions", actions["Complete"].Route.Pattern);
        Assert.Equal(LlmErrorResponses.ProblemDetails, actions["Complete"].Route.ErrorResponses);
        Assert.Equal(MetadataSlots.None, actions["Relay"].Route.MetadataSlot);
        Assert.Equal(
            ("/v1/messages", "litellm_metadata", WireFormat.Anthropic),
            (actions["Messages"].Route.Pattern,
                actions["Messages"].Route.MetadataSlot,
                actions["Messages"].Route.ErrorFormat));
        Assert.Equal("/Legacy/Completions/Create", actions["CreateAsync"].Route.Pattern);
    }

    private static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
