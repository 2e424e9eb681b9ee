using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Generators;

public sealed partial class TracedLlmRouteGenerator
{
    /// <summary>
    /// The parser's side for MVC controller actions: MVC binds and routes them, the model says how to recognise and
    /// trace them.
    /// </summary>
    internal static partial class Parser
    {
        private const string NonActionAttribute = "Microsoft.AspNetCore.Mvc.NonActionAttribute";
        private const string ActionResultOfT = "Microsoft.AspNetCore.Mvc.ActionResult<TValue>";
        private const string ActionResultInterface = "Microsoft.AspNetCore.Mvc.IActionResult";
        private const string ConvertToActionResult = "Microsoft.AspNetCore.Mvc.Infrastructure.IConvertToActionResult";

        /// <summary>
        /// A controller action marked <c>[TracedLlmRoute]</c>: its method and path, its result as MVC writes it, and
        /// its parameter types.
        /// </summary>
        /// <remarks>
        /// The method and path come from MVC's routing attributes (or the conventional <c>/{controller}/{action}</c>);
        /// the parameter types tell which action the runtime attaches the pipeline to. A Razor Page handler is refused:
        /// a page answers a browser's form, not an LLM API's JSON.
        /// </remarks>
        private static RouteParseResult ParseAction(
            IMethodSymbol method,
            AttributeData attribute,
            string display,
            LocationInfo? location,
            CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            void Report(string id, params string[] arguments) =>
                diagnostics.Add(
                    new DiagnosticInfo(id, location, arguments.Select(a => new StringValue(a)).ToEquatableArray()));

            if (MvcActions.IsPageModel(method.ContainingType))
            {
                Report(
                    DiagnosticIds.InvalidSignature,
                    display,
                    "a Razor Page's handler cannot be a traced route: a page answers HTML forms, and its handler is "
                    + "chosen by the form's handler name, not by an LLM API's route; move it to a controller action "
                    + "(or a static handler) and call that from the page");
                return new RouteParseResult(null, null, diagnostics.ToEquatableArray());
            }

            cancellationToken.ThrowIfCancellationRequested();
            var data = RouteAttributeData.Read(attribute);
            if (attribute.ConstructorArguments.Length > 0)
            {
                Report(
                    DiagnosticIds.InvalidRoute,
                    display,
                    "on an MVC controller action MVC's routing gives the method and path ([HttpPost(\"...\")], "
                    + $"[Route(\"...\")]), not [TracedLlmRoute(\"{data.HttpMethod}\", \"{data.Pattern}\")]: write "
                    + "[TracedLlmRoute] without them");
            }

            var route = MvcActions.Route(method);
            if (route.HttpMethods.Count == 0)
            {
                Report(
                    DiagnosticIds.InvalidRoute,
                    display,
                    "the action names no HTTP method, so MVC routes every method to it: add [HttpPost] (or "
                    + "[HttpPut], [AcceptVerbs(...)]) for the one it serves");
            }
            else if (route.HttpMethods.Count > 1)
            {
                Report(
                    DiagnosticIds.InvalidRoute,
                    display,
                    $"the action serves {string.Join(", ", route.HttpMethods)}, but a traced route has one HTTP "
                    + "method: keep one");
            }
            else if (!RouteConventions.IsValidHttpMethod(route.HttpMethods[0]))
            {
                Report(
                    DiagnosticIds.InvalidRoute,
                    display,
                    $"HTTP method '{route.HttpMethods[0]}' is not one of GET, POST, PUT, PATCH, DELETE");
            }

            var slot = data.ExplicitSlot;
            if (slot is { Length: > 0 } && !RouteConventions.IsValidSlot(slot))
            {
                Report(DiagnosticIds.InvalidSlot, display, slot);
            }

            if (method.DeclaredAccessibility != Accessibility.Public)
            {
                Report(
                    DiagnosticIds.InvalidSignature,
                    display,
                    $"MVC makes actions of public methods only, and '{method.Name}' is "
                    + $"{Describe(method.DeclaredAccessibility)}: make it public");
            }

            if (method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NonActionAttribute))
            {
                Report(
                    DiagnosticIds.InvalidSignature,
                    display,
                    "the method is marked [NonAction]: MVC does not route it, so it cannot be a traced route");
            }

            if (method.IsGenericMethod || IsInGenericType(method))
            {
                Report(DiagnosticIds.InvalidSignature, display, "an MVC action and its controller cannot be generic");
            }

            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (!IsVisibleInAssembly(type.DeclaredAccessibility) || type.IsFileLocal)
                {
                    Report(
                        DiagnosticIds.InaccessibleHandler,
                        display,
                        type.Name,
                        type.IsFileLocal ? "file-local" : Describe(type.DeclaredAccessibility));
                    break;
                }
            }

            var returned = ParseActionReturn(method.ReturnType);
            if (returned.Error is { } returnError)
            {
                Report(DiagnosticIds.InvalidSignature, display, returnError);
            }

            if (diagnostics.Count > 0)
            {
                return new RouteParseResult(null, null, diagnostics.ToEquatableArray());
            }

            var httpMethod = route.HttpMethods[0];
            var pattern = route.Pattern;
            var className = HandlerBinding.GeneratedClassName(method);
            var parameterTypes = method.Parameters
                .Select(p => new StringValue(
                    p.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)
                        .ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)))
                .ToEquatableArray();
            var model = new RouteModel(
                className,
                className + ".g.cs",
                method.ContainingType.ToDisplayString(FullyQualified),
                method.Name,
                display,
                Cref(method),
                SourceLine(method),
                httpMethod,
                pattern,
                slot ?? RouteConventions.DefaultSlot(pattern),
                data.ErrorFormat switch
                {
                    1 => "OpenAI",
                    2 => "Anthropic",
                    _ => RouteConventions.DefaultErrorFormat(pattern),
                },
                data.Operation ?? RouteConventions.DefaultOperation(pattern),
                EquatableArray<ParameterModel>.Empty,
                returned.Shape,
                returned.ResultType,
                returned.ReturnsResult,
                returned.ChunkType is not null,
                null,
                EquatableArray<ParameterModel>.Empty,
                returned.ChunkType,
                null,
                data.SharedSlot && !data.NoSlot,
                data.IgnoreStream,
                ErrorResponsesName(data.ErrorResponses))
            {
                Mvc = true,
                ActionParameterTypes = parameterTypes,
                ConventionallyRouted = route.Conventional,
                StreamUnread = BodyMembers.NeverReads(BodyMembers.TypedBody(method), BodyMembers.StreamField),
                LenientSlot = LenientSlot(method, data, slot ?? RouteConventions.DefaultSlot(pattern)),
            };
            var key = new RouteKey(httpMethod, pattern, display, location ?? default);
            return new RouteParseResult(model, key, EquatableArray<DiagnosticInfo>.Empty);
        }

        /// <summary>An action's result as MVC writes it, the task unwrapped.</summary>
        /// <remarks>
        /// A value or <c>ActionResult&lt;T&gt;</c> (typed: JSON only, its <c>T</c> for API descriptions); an
        /// <c>IActionResult</c>, an <c>IResult</c> or nothing (the action writes its answer itself);
        /// <c>LlmResult&lt;TResponse, TChunk&gt;</c> (both stream modes, as for a static handler).
        /// <c>IAsyncEnumerable&lt;T&gt;</c> is refused: MVC writes it as one JSON array, not as events.
        /// </remarks>
        private static ActionReturn ParseActionReturn(ITypeSymbol returnType)
        {
            var shape = ReturnShape.Value;
            var inner = returnType;
            if (returnType is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named)
            {
                var definition = named.OriginalDefinition.ToDisplayString();
                if (definition is "System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask<TResult>")
                {
                    shape = definition.StartsWith("System.Threading.Tasks.Task", System.StringComparison.Ordinal)
                        ? ReturnShape.Task
                        : ReturnShape.ValueTask;
                    inner = named.TypeArguments[0];
                }
            }

            var innerName = inner.ToDisplayString();
            if (inner.SpecialType == SpecialType.System_Void
                || innerName is "System.Threading.Tasks.Task" or "System.Threading.Tasks.ValueTask")
            {
                return new ActionReturn(shape, string.Empty, ReturnsResult: true, null, null);
            }

            if (inner is INamedTypeSymbol { IsGenericType: true } generic)
            {
                var definition = generic.OriginalDefinition.ToDisplayString();
                if (definition == "System.Collections.Generic.IAsyncEnumerable<T>")
                {
                    return new ActionReturn(
                        shape,
                        string.Empty,
                        false,
                        null,
                        "an action that returns IAsyncEnumerable<T> is written by MVC as one JSON array, not as "
                        + "server-sent events; return LlmResult<TResponse, TChunk> (LlmResult.Stream(chunks) when "
                        + "call.IsStreaming) to stream in the route's wire format");
                }

                if (definition == EitherResultType)
                {
                    var response = generic.TypeArguments[0];
                    var chunk = generic.TypeArguments[1];
                    return IsUsable(response) && IsUsable(chunk)
                        ? new ActionReturn(
                            shape,
                            response.ToDisplayString(FullyQualified),
                            IsResult(response) || IsActionResult(response),
                            chunk.ToDisplayString(FullyQualified),
                            null)
                        : new ActionReturn(
                            shape,
                            string.Empty,
                            false,
                            null,
                            $"return type '{returnType.ToDisplayString()}' is not supported");
                }

                if (definition == ActionResultOfT)
                {
                    inner = generic.TypeArguments[0];
                }
            }

            if (!IsUsable(inner))
            {
                return new ActionReturn(
                    shape,
                    string.Empty,
                    false,
                    null,
                    $"return type '{returnType.ToDisplayString()}' is not supported");
            }

            return IsResult(inner) || IsActionResult(inner)
                ? new ActionReturn(shape, string.Empty, ReturnsResult: true, null, null)
                : new ActionReturn(shape, inner.ToDisplayString(FullyQualified), ReturnsResult: false, null, null);
        }

        private static bool IsActionResult(ITypeSymbol type) =>
            type.ToDisplayString() is ActionResultInterface or ConvertToActionResult
            || type.AllInterfaces.Any(i => i.ToDisplayString() is ActionResultInterface or ConvertToActionResult);

        /// <summary>
        /// An action's result: its shape, the typed result (empty when it writes itself), whether it writes itself, the
        /// chunk type of an <c>LlmResult</c>, or why it cannot be traced.
        /// </summary>
        private readonly record struct ActionReturn(
            ReturnShape Shape,
            string ResultType,
            bool ReturnsResult,
            string? ChunkType,
            string? Error);
    }
}
