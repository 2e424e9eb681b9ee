using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.Generators;

public sealed partial class TracedLlmRouteGenerator
{
    /// <summary>Turns one attributed method into a plain model at once; no symbol leaves this method.</summary>
    internal static partial class Parser
    {
        private const string ResultInterface = "Microsoft.AspNetCore.Http.IResult";
        private const string EitherResultType = "TracedLlm.LlmResult<TResponse, TChunk>";

        private static readonly SymbolDisplayFormat FullyQualified =
            SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
                SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions
                    | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        // Types as a cref names them: Nullable<T> and ValueTuple<...> spelled out, no `?` on reference types.
        private static readonly SymbolDisplayFormat CrefParameterFormat =
            SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(
                SymbolDisplayMiscellaneousOptions.ExpandNullable | SymbolDisplayMiscellaneousOptions.ExpandValueTuple);

        public static RouteParseResult Parse(
            GeneratorAttributeSyntaxContext context,
            CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var attribute = context.Attributes[0];
            if (context.TargetNode is not MethodDeclarationSyntax declaration)
            {
                return NotAMethod(context, method, attribute);
            }

            var display = method.ContainingType.ToDisplayString() + "." + method.Name;
            var location = LocationInfo.From(declaration.Identifier.GetLocation());
            if (!method.IsStatic && (MvcActions.IsAction(method) || MvcActions.IsPageModel(method.ContainingType)))
            {
                // MVC runs it: the pipeline goes inside MVC's action invocation (docs/mvc.md).
                return ParseAction(method, attribute, display, location, cancellationToken);
            }

            var diagnostics = new List<DiagnosticInfo>();
            void Report(string id, params string[] arguments) =>
                diagnostics.Add(
                    new DiagnosticInfo(id, location, arguments.Select(a => new StringValue(a)).ToEquatableArray()));

            cancellationToken.ThrowIfCancellationRequested();

            var attributeData = RouteAttributeData.Read(attribute);
            var (httpMethod, pattern, slot, errorFormat, operation) = attributeData;
            if (!RouteConventions.IsValidHttpMethod(httpMethod))
            {
                Report(
                    DiagnosticIds.InvalidRoute,
                    display,
                    $"HTTP method '{httpMethod}' is not one of GET, POST, PUT, PATCH, DELETE");
            }

            foreach (var templateError in RouteConventions.ValidateTemplate(pattern))
            {
                Report(DiagnosticIds.InvalidRoute, display, templateError);
            }

            // An empty slot is MetadataSlots.None: the route has none.
            if (slot is { Length: > 0 } && !RouteConventions.IsValidSlot(slot))
            {
                Report(DiagnosticIds.InvalidSlot, display, slot);
            }

            // The handler: static, not generic, reachable from generated code in the same assembly.
            var parameters = ParseHandler(method, display, diagnostics, location, out var returned);
            var (shape, resultType, returnsResult, _, eitherChunk) = returned;
            if (diagnostics.Count > 0 || httpMethod is null || pattern is null)
            {
                return new RouteParseResult(null, null, diagnostics.ToEquatableArray());
            }

            // A streaming handler beside a regular one for the same method and path is emitted with it;
            // a handler that serves both modes (LlmResult) has no partner: a second handler is a duplicate.
            var streams = shape == ReturnShape.Stream;
            var partner = eitherChunk is null ? Partner(method, httpMethod, pattern, partnerStreams: !streams) : null;
            if (streams
                && partner is not null
                && SameSymbol(Partner(partner, httpMethod, pattern, partnerStreams: true), method))
            {
                return new RouteParseResult(null, null, EquatableArray<DiagnosticInfo>.Empty);
            }

            string? streamMethod = null;
            var streamParameters = new List<ParameterModel>();
            var chunkType = eitherChunk;
            string? streamLocation = null;
            if (streams)
            {
                (streamMethod, streamParameters, chunkType, streamLocation) = (
                    method.Name,
                    parameters,
                    resultType,
                    SourceLine(method));
                parameters = new List<ParameterModel>();
            }
            else if (partner is not null)
            {
                var partnerDiagnostics = new List<DiagnosticInfo>();
                var partnerParameters = ParseHandler(
                    partner,
                    display,
                    partnerDiagnostics,
                    location,
                    out var partnerReturned);
                if (partnerDiagnostics.Count == 0)
                {
                    var body = BodyCandidates(parameters);
                    var partnerBody = BodyCandidates(partnerParameters);
                    if (!body.Select(p => (p.Source, p.TypeOfName))
                            .SequenceEqual(partnerBody.Select(p => (p.Source, p.TypeOfName))))
                    {
                        Report(
                            DiagnosticIds.InvalidSignature,
                            display,
                            $"the streaming handler '{partner.Name}' {DescribeBody(partnerBody)}, but "
                            + $"'{method.Name}' {DescribeBody(body)}: both handlers of a route read one request "
                            + "body; or serve both stream modes from one handler that returns "
                            + "LlmResult<TResponse, TChunk>");
                        return new RouteParseResult(null, null, diagnostics.ToEquatableArray());
                    }

                    (streamMethod, streamParameters, chunkType, streamLocation) = (
                        partner.Name,
                        partnerParameters,
                        partnerReturned.ResultType,
                        SourceLine(partner));
                }
            }

            var normalizedMethod = httpMethod.ToUpperInvariant();
            var format = errorFormat switch
            {
                1 => "OpenAI",
                2 => "Anthropic",
                _ => RouteConventions.DefaultErrorFormat(pattern),
            };
            var className = HandlerBinding.GeneratedClassName(method);
            var model = new RouteModel(
                className,
                className + ".g.cs",
                method.ContainingType.ToDisplayString(FullyQualified),
                streams ? null : method.Name,
                display,
                Cref(method),
                streams ? null : SourceLine(method),
                normalizedMethod,
                pattern,
                slot ?? RouteConventions.DefaultSlot(pattern),
                format,
                operation ?? RouteConventions.DefaultOperation(pattern),
                parameters.ToEquatableArray(),
                shape,
                resultType,
                returnsResult,
                eitherChunk is not null,
                streamMethod,
                streamParameters.ToEquatableArray(),
                chunkType,
                streamLocation,
                attributeData.SharedSlot && !attributeData.NoSlot,
                attributeData.IgnoreStream,
                ErrorResponsesName(attributeData.ErrorResponses)) with
            {
                StreamUnread = BodyMembers.NeverReads(BodyMembers.TypedBody(method), BodyMembers.StreamField),
                LenientSlot = LenientSlot(method, attributeData, slot ?? RouteConventions.DefaultSlot(pattern)),
            };
            var key = new RouteKey(normalizedMethod, pattern, display, location ?? default);
            return new RouteParseResult(model, key, EquatableArray<DiagnosticInfo>.Empty);
        }

        /// <summary>
        /// True when the route's slot values of the wrong JSON type are left as sent: its body never read the slot.
        /// </summary>
        private static bool LenientSlot(IMethodSymbol method, RouteAttributeData data, string slot) =>
            slot.Length > 0 && !data.SharedSlot && !data.StrictMetadata
            && BodyMembers.NeverReads(BodyMembers.TypedBody(method), slot);

        /// <summary>
        /// The <c>LlmErrorResponses</c> member a route chose, by name; null for the default (the options' choice).
        /// </summary>
        private static string? ErrorResponsesName(int value) => value switch
        {
            1 => "WireFormat",
            2 => "ProblemDetails",
            3 => "Writer",
            4 => "Host",
            _ => null,
        };

        /// <summary>
        /// A lambda or local function marked <c>[TracedLlmRoute]</c>: TLLM1001 at the attribute, since no generated
        /// class can call it.
        /// </summary>
        /// <remarks>
        /// The diagnostic names the method it is declared in; a lambda passed to <c>MapPost</c> would otherwise be
        /// mapped untraced, with nothing said.
        /// </remarks>
        private static RouteParseResult NotAMethod(
            GeneratorAttributeSyntaxContext context,
            IMethodSymbol function,
            AttributeData attribute)
        {
            var what =
                function.MethodKind == MethodKind.LocalFunction ? $"the local function '{function.Name}'" : "a lambda";
            var outer = function.ContainingSymbol;
            while (outer is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
            {
                outer = outer.ContainingSymbol;
            }

            // Program.cs's top-level statements are a method with an unspeakable name ("<Main>$").
            var declaredIn = outer is null ? function.Name
                : outer.Name.StartsWith("<", System.StringComparison.Ordinal) ? "the top-level statements"
                : outer.ContainingType is { } type ? type.ToDisplayString() + "." + outer.Name
                : outer.ToDisplayString();
            var at =
                LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax().GetLocation())
                ?? LocationInfo.From(context.TargetNode.GetLocation());
            var diagnostic = new DiagnosticInfo(
                DiagnosticIds.InvalidSignature,
                at,
                new[]
                {
                    new StringValue(declaredIn),
                    new StringValue(
                        $"[TracedLlmRoute] is on {what}, which generated code cannot call; make the handler a static "
                        + "method of a class (MapTracedLlmRoutes() maps it)")
                }.ToEquatableArray());
            return new RouteParseResult(null, null, new[] { diagnostic }.ToEquatableArray());
        }

        /// <summary>
        /// Checks a handler's shape and binds its parameters; problems are added to <paramref name="diagnostics"/>.
        /// </summary>
        private static List<ParameterModel> ParseHandler(
            IMethodSymbol method,
            string display,
            List<DiagnosticInfo> diagnostics,
            LocationInfo? location,
            out ReturnedType returned)
        {
            void Report(string id, params string[] arguments) =>
                diagnostics.Add(
                    new DiagnosticInfo(id, location, arguments.Select(a => new StringValue(a)).ToEquatableArray()));

            if (!method.IsStatic)
            {
                Report(
                    DiagnosticIds.InvalidSignature,
                    display,
                    "the handler must be static (take services as parameters)");
            }

            if (method.IsStatic && (method.IsVirtual || method.IsAbstract))
            {
                // An interface's static virtual or abstract member is called only through a type parameter (CS8926).
                Report(
                    DiagnosticIds.InvalidSignature,
                    display,
                    "a static virtual or abstract interface member can be called only through a type parameter; make "
                    + "the handler a static method of a class");
            }

            if (method.IsGenericMethod || IsInGenericType(method))
            {
                Report(
                    DiagnosticIds.InvalidSignature,
                    display,
                    "the handler and its containing types cannot be generic");
            }

            if (FirstInaccessible(method) is { } inaccessible)
            {
                Report(
                    DiagnosticIds.InaccessibleHandler,
                    display,
                    inaccessible.Name,
                    inaccessible is INamedTypeSymbol { IsFileLocal: true }
                        ? "file-local"
                        : Describe(inaccessible.DeclaredAccessibility));
            }

            var parameters = new List<ParameterModel>();
            foreach (var binding in HandlerBinding.Bind(method))
            {
                var parameter = binding.Parameter;
                if (binding.Error is { } error)
                {
                    // Where the parameter is declared: the mistake is there, not on the method's name.
                    var at = LocationInfo.From(parameter.Locations.FirstOrDefault(l => l.IsInSource)) ?? location;
                    diagnostics.Add(
                        new DiagnosticInfo(
                            error.Id,
                            at,
                            new[] { new StringValue(display), new StringValue(error.Reason) }.ToEquatableArray()));
                    continue;
                }

                parameters.Add(
                    new ParameterModel(
                        EscapeIdentifier(parameter.Name),
                        parameter.Type.ToDisplayString(FullyQualified),
                        binding.Source,
                        parameter.Type
                            .WithNullableAnnotation(NullableAnnotation.NotAnnotated)
                            .ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                        binding.Key,
                        binding.Parse,
                        binding.ParsedType?.WithNullableAnnotation(NullableAnnotation.NotAnnotated)
                            .ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                        OptionalityOf(parameter),
                        DefaultLiteral(parameter)));
            }

            returned = ParseReturnType(method.ReturnType);
            if (!returned.Supported)
            {
                Report(DiagnosticIds.UnsupportedReturnType, display, method.ReturnType.ToDisplayString());
            }

            return parameters;
        }

        private static Optionality OptionalityOf(IParameterSymbol parameter) =>
            parameter.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T ? Optionality.NullableValue
            : parameter.NullableAnnotation == NullableAnnotation.Annotated ? Optionality.NullableReference
            : parameter.HasExplicitDefaultValue ? Optionality.Default
            : Optionality.Required;

        /// <summary>
        /// A parameter's default value as a C# expression of its type, or null when it has none (or it is null).
        /// </summary>
        private static string? DefaultLiteral(IParameterSymbol parameter)
        {
            if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is not { } value)
            {
                return null;
            }

            var type =
                parameter.Type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T
                    ? ((INamedTypeSymbol)parameter.Type).TypeArguments[0]
                    : parameter.Type;
            var literal =
                NumberLiteral(value)
                ?? Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatPrimitive(
                    value,
                    quoteStrings: true,
                    useHexadecimalNumbers: false);
            var cast = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)
                .ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return type.SpecialType == SpecialType.System_String ? literal : $"({cast})({literal})";
        }

        /// <summary>
        /// A <c>float</c>, <c>double</c> or <c>decimal</c> default as an exact literal of its own type; null for any
        /// other value.
        /// </summary>
        /// <remarks>
        /// <c>0.1F</c> or <c>12345678.123456789M</c>, not a <c>double</c> cast; the constant that names it where there
        /// is no literal (<c>double.NaN</c>).
        /// </remarks>
        private static string? NumberLiteral(object value)
        {
            var invariant = System.Globalization.CultureInfo.InvariantCulture;
            return value switch
            {
                double d when double.IsNaN(d) => "global::System.Double.NaN",
                double d when double.IsInfinity(d) => d > 0
                    ? "global::System.Double.PositiveInfinity"
                    : "global::System.Double.NegativeInfinity",
                double d => d.ToString("R", invariant) + "D",
                float f when float.IsNaN(f) => "global::System.Single.NaN",
                float f when float.IsInfinity(f) => f > 0
                    ? "global::System.Single.PositiveInfinity"
                    : "global::System.Single.NegativeInfinity",
                float f => f.ToString("R", invariant) + "F",
                decimal m => m.ToString(invariant) + "M",
                _ => null,
            };
        }

        /// <summary>
        /// The first other handler of the same type for the same method and path that streams (or does not).
        /// </summary>
        private static IMethodSymbol? Partner(
            IMethodSymbol method,
            string httpMethod,
            string pattern,
            bool partnerStreams)
        {
            foreach (var member in method.ContainingType.GetMembers())
            {
                if (member is not IMethodSymbol candidate || SameSymbol(candidate, method))
                {
                    continue;
                }

                foreach (var attribute in candidate.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() != HandlerBinding.AttributeMetadataName)
                    {
                        continue;
                    }

                    var data = RouteAttributeData.Read(attribute);
                    if (string.Equals(data.HttpMethod, httpMethod, System.StringComparison.OrdinalIgnoreCase)
                        && data.Pattern == pattern
                        && ParseReturnType(candidate.ReturnType) is var returned
                        && returned.EitherChunkType is null
                        && (returned.Shape == ReturnShape.Stream) == partnerStreams)
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// The handler as a <c>cref</c>: its name, and its parameter types when the name is
        /// overloaded (a bare overloaded name is warning CS0419 in the consumer's build).
        /// </summary>
        private static string Cref(IMethodSymbol method)
        {
            var name = method.ContainingType.ToDisplayString(FullyQualified) + "." + EscapeIdentifier(method.Name);
            if (method.ContainingType.GetMembers(method.Name).Length <= 1)
            {
                return name;
            }

            var parameters = method.Parameters.Select(p =>
                p.Type.ToDisplayString(CrefParameterFormat).Replace('<', '{').Replace('>', '}'));
            return name + "(" + string.Join(", ", parameters) + ")";
        }

        private static string? SourceLine(IMethodSymbol method) =>
            LocationInfo.FileAndLine(method.Locations.FirstOrDefault(l => l.IsInSource));

        private static bool SameSymbol(ISymbol? left, ISymbol? right) =>
            SymbolEqualityComparer.Default.Equals(left, right);

        /// <summary>The parameters that are, or may be, the request body.</summary>
        private static List<ParameterModel> BodyCandidates(List<ParameterModel> parameters) =>
            parameters.Where(p => p.Source is ParameterSource.Body or ParameterSource.BodyOrService).ToList();

        /// <summary>
        /// How the body reads in a message: "reads the body as `request` (ChatRequest)", or "takes no body".
        /// </summary>
        private static string DescribeBody(List<ParameterModel> candidates) =>
            candidates.Count switch
            {
                0 => "takes no request body",
                1 => $"reads the body as `{candidates[0].Name.TrimStart('@')}` ({Short(candidates[0].TypeName)})",
                _ => "reads the body as one of "
                    + string.Join(", ", candidates.Select(p => $"`{p.Name.TrimStart('@')}` ({Short(p.TypeName)})"))
                    + " (whichever type DI does not have)",
            };

        private static string Short(string typeName) =>
            typeName.StartsWith("global::", System.StringComparison.Ordinal)
                ? typeName.Substring("global::".Length)
                : typeName;

        /// <summary>
        /// What a handler returns: its shape (value, task, stream), the result (or chunk) type, whether
        /// it is an <c>IResult</c>, and for <c>LlmResult&lt;TResponse, TChunk&gt;</c> (both stream modes) the chunk
        /// type.
        /// </summary>
        private static ReturnedType ParseReturnType(ITypeSymbol returnType)
        {
            var shape = ReturnShape.Value;
            var inner = returnType;
            if (returnType is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named)
            {
                var definition = named.OriginalDefinition.ToDisplayString();
                if (definition == "System.Threading.Tasks.Task<TResult>")
                {
                    shape = ReturnShape.Task;
                    inner = named.TypeArguments[0];
                }
                else if (definition == "System.Threading.Tasks.ValueTask<TResult>")
                {
                    shape = ReturnShape.ValueTask;
                    inner = named.TypeArguments[0];
                }
                else if (definition == "System.Collections.Generic.IAsyncEnumerable<T>")
                {
                    shape = ReturnShape.Stream;
                    inner = named.TypeArguments[0];
                }
            }

            var innerName = inner.ToDisplayString();
            if (inner.SpecialType == SpecialType.System_Void
                || innerName is "System.Threading.Tasks.Task" or "System.Threading.Tasks.ValueTask"
                || inner.TypeKind is TypeKind.Error or TypeKind.Pointer or TypeKind.FunctionPointer
                || inner.IsRefLikeType)
            {
                return new ReturnedType(shape, string.Empty, false, false, null);
            }

            if (inner is INamedTypeSymbol { IsGenericType: true } either
                && either.OriginalDefinition.ToDisplayString() == EitherResultType)
            {
                var response = either.TypeArguments[0];
                var chunk = either.TypeArguments[1];
                var usable = shape != ReturnShape.Stream && IsUsable(response) && IsUsable(chunk);
                return new ReturnedType(
                    shape,
                    response.ToDisplayString(FullyQualified),
                    IsResult(response),
                    usable,
                    chunk.ToDisplayString(FullyQualified));
            }

            return new ReturnedType(shape, inner.ToDisplayString(FullyQualified), IsResult(inner), true, null);
        }

        private static bool IsUsable(ITypeSymbol type) =>
            type.TypeKind is not (TypeKind.Error or TypeKind.Pointer or TypeKind.FunctionPointer)
            && !type.IsRefLikeType;

        private static bool IsResult(ITypeSymbol type) =>
            type.ToDisplayString() == ResultInterface
            || type.AllInterfaces.Any(i => i.ToDisplayString() == ResultInterface);

        /// <summary>A handler's return type as the emitter needs it.</summary>
        private readonly record struct ReturnedType(
            ReturnShape Shape,
            string ResultType,
            bool ReturnsResult,
            bool Supported,
            string? EitherChunkType);

        private static bool IsInGenericType(IMethodSymbol method)
        {
            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                if (type.IsGenericType)
                {
                    return true;
                }
            }

            return false;
        }

        private static ISymbol? FirstInaccessible(IMethodSymbol method)
        {
            if (!IsVisibleInAssembly(method.DeclaredAccessibility))
            {
                return method;
            }

            for (var type = method.ContainingType; type is not null; type = type.ContainingType)
            {
                // A file-local type (`file class Routes`) is internal, but only to its own file: the pipeline's file
                // cannot name it.
                if (!IsVisibleInAssembly(type.DeclaredAccessibility) || type.IsFileLocal)
                {
                    return type;
                }
            }

            return null;
        }

        private static bool IsVisibleInAssembly(Accessibility accessibility) =>
            accessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

        private static string Describe(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => accessibility.ToString().ToLowerInvariant(),
        };

        /// <summary>A name as code spells it: <c>@class</c> for a parameter or handler named like a keyword.</summary>
        internal static string EscapeIdentifier(string name) =>
            Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name)
            != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
                ? "@" + name
                : name;
    }
}
