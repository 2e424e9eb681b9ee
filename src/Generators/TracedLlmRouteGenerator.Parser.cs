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
    internal static class Parser
    {
        private const string LlmCallType = "TracedLlm.LlmCall";
        private const string HttpContextType = "Microsoft.AspNetCore.Http.HttpContext";
        private const string CancellationTokenType = "System.Threading.CancellationToken";
        private const string ResultInterface = "Microsoft.AspNetCore.Http.IResult";
        private const string FromBodyAttribute = "Microsoft.AspNetCore.Mvc.FromBodyAttribute";
        private const string FromServicesAttribute = "Microsoft.AspNetCore.Mvc.FromServicesAttribute";

        private static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat
            .WithMiscellaneousOptions(SymbolDisplayFormat.FullyQualifiedFormat.MiscellaneousOptions | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        public static RouteParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var method = (IMethodSymbol)context.TargetSymbol;
            var attribute = context.Attributes[0];
            var display = method.ContainingType.ToDisplayString() + "." + method.Name;
            var location = LocationInfo.From(((MethodDeclarationSyntax)context.TargetNode).Identifier.GetLocation());
            var diagnostics = new List<DiagnosticInfo>();
            void Report(string id, params string[] arguments) =>
                diagnostics.Add(new DiagnosticInfo(id, location, arguments.Select(a => new StringValue(a)).ToEquatableArray()));

            cancellationToken.ThrowIfCancellationRequested();

            // The attribute: (method, pattern) and the named options.
            var httpMethod = attribute.ConstructorArguments.Length > 0 ? attribute.ConstructorArguments[0].Value as string : null;
            var pattern = attribute.ConstructorArguments.Length > 1 ? attribute.ConstructorArguments[1].Value as string : null;
            string? slot = null;
            string? operation = null;
            var errorFormat = 0;
            foreach (var named in attribute.NamedArguments)
            {
                switch (named.Key)
                {
                    case "MetadataSlot": slot = named.Value.Value as string; break;
                    case "Operation": operation = named.Value.Value as string; break;
                    case "ErrorFormat": errorFormat = named.Value.Value is int value ? value : 0; break;
                }
            }

            if (!RouteConventions.IsValidHttpMethod(httpMethod))
            {
                Report(DiagnosticDescriptors.InvalidRouteId, display, $"HTTP method '{httpMethod}' is not one of GET, POST, PUT, PATCH, DELETE");
            }

            if (RouteConventions.ValidateTemplate(pattern) is { } templateError)
            {
                Report(DiagnosticDescriptors.InvalidRouteId, display, templateError);
            }

            if (slot is not null && !RouteConventions.IsValidSlot(slot))
            {
                Report(DiagnosticDescriptors.InvalidSlotId, display, slot);
            }

            // The handler: static, not generic, reachable from generated code in the same assembly.
            if (!method.IsStatic)
            {
                Report(DiagnosticDescriptors.InvalidSignatureId, display, "the handler must be static (take services as parameters)");
            }

            if (method.IsGenericMethod || IsInGenericType(method))
            {
                Report(DiagnosticDescriptors.InvalidSignatureId, display, "the handler and its containing types cannot be generic");
            }

            if (FirstInaccessible(method) is { } inaccessible)
            {
                Report(DiagnosticDescriptors.InaccessibleHandlerId, display, inaccessible.Name, Describe(inaccessible.DeclaredAccessibility));
            }

            var parameters = ParseParameters(method, display, Report);
            var (shape, resultType, returnsResult, supported) = ParseReturnType(method.ReturnType);
            if (!supported)
            {
                Report(DiagnosticDescriptors.UnsupportedReturnTypeId, display, method.ReturnType.ToDisplayString());
            }

            if (diagnostics.Count > 0 || httpMethod is null || pattern is null)
            {
                return new RouteParseResult(null, null, diagnostics.ToEquatableArray());
            }

            var normalizedMethod = httpMethod.ToUpperInvariant();
            var format = errorFormat switch
            {
                1 => "OpenAI",
                2 => "Anthropic",
                _ => RouteConventions.DefaultErrorFormat(pattern),
            };
            var className = ClassName(method);
            var model = new RouteModel(
                className,
                className + ".g.cs",
                method.ContainingType.ToDisplayString(FullyQualified),
                method.Name,
                display,
                normalizedMethod,
                pattern,
                slot ?? RouteConventions.DefaultSlot(pattern),
                format,
                operation ?? RouteConventions.DefaultOperation(pattern),
                parameters.ToEquatableArray(),
                shape,
                resultType,
                returnsResult);
            var key = new RouteKey(normalizedMethod, pattern, display, location ?? default);
            return new RouteParseResult(model, key, EquatableArray<DiagnosticInfo>.Empty);
        }

        private delegate void Reporter(string id, params string[] arguments);

        private static List<ParameterModel> ParseParameters(IMethodSymbol method, string display, Reporter report)
        {
            var result = new List<ParameterModel>();
            var hasBody = false;
            var explicitBody = method.Parameters.Any(p => HasAttribute(p, FromBodyAttribute));
            foreach (var parameter in method.Parameters)
            {
                if (parameter.RefKind != RefKind.None)
                {
                    report(DiagnosticDescriptors.InvalidSignatureId, display, $"parameter '{parameter.Name}' cannot be ref, out or in");
                    continue;
                }

                var typeName = parameter.Type.ToDisplayString(FullyQualified);
                var metadataName = parameter.Type.OriginalDefinition.ToDisplayString();
                ParameterSource source;
                if (metadataName == LlmCallType)
                {
                    source = ParameterSource.LlmCall;
                }
                else if (metadataName == HttpContextType)
                {
                    source = ParameterSource.HttpContext;
                }
                else if (metadataName == CancellationTokenType)
                {
                    source = ParameterSource.CancellationToken;
                }
                else if (HasAttribute(parameter, FromServicesAttribute) || (!explicitBody && (hasBody || !CanBeBody(parameter.Type))))
                {
                    source = parameter.NullableAnnotation == NullableAnnotation.Annotated || parameter.HasExplicitDefaultValue
                        ? ParameterSource.OptionalService
                        : ParameterSource.Service;
                }
                else if (explicitBody && !HasAttribute(parameter, FromBodyAttribute))
                {
                    source = ParameterSource.Service;
                }
                else
                {
                    if (hasBody)
                    {
                        report(DiagnosticDescriptors.InvalidSignatureId, display, $"parameter '{parameter.Name}' is a second request body; a handler takes at most one");
                        continue;
                    }

                    hasBody = true;
                    source = ParameterSource.Body;
                }

                result.Add(new ParameterModel(EscapeIdentifier(parameter.Name), typeName, source));
            }

            return result;
        }

        /// <summary>A body is a concrete type (class, struct, record); interfaces and abstract classes are services.</summary>
        private static bool CanBeBody(ITypeSymbol type) =>
            type.TypeKind is TypeKind.Class or TypeKind.Struct && !type.IsAbstract && type.SpecialType != SpecialType.System_Object;

        private static (ReturnShape Shape, string ResultType, bool ReturnsResult, bool Supported) ParseReturnType(ITypeSymbol returnType)
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
                    // Streaming handlers are a later step of the pipeline; refused until then.
                    return (shape, string.Empty, false, false);
                }
            }

            var innerName = inner.ToDisplayString();
            if (inner.SpecialType == SpecialType.System_Void
                || innerName is "System.Threading.Tasks.Task" or "System.Threading.Tasks.ValueTask"
                || inner.TypeKind is TypeKind.Error or TypeKind.Pointer or TypeKind.FunctionPointer
                || inner.IsRefLikeType)
            {
                return (shape, string.Empty, false, false);
            }

            var returnsResult = innerName == ResultInterface || inner.AllInterfaces.Any(i => i.ToDisplayString() == ResultInterface);
            return (shape, inner.ToDisplayString(FullyQualified), returnsResult, true);
        }

        private static bool HasAttribute(IParameterSymbol parameter, string attributeName) =>
            parameter.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == attributeName);

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
                if (!IsVisibleInAssembly(type.DeclaredAccessibility))
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

        /// <summary>A class name unique per handler: the type path and method, plus a hash of the signature for overloads.</summary>
        private static string ClassName(IMethodSymbol method)
        {
            var builder = new StringBuilder();
            foreach (var c in method.ContainingType.ToDisplayString() + "." + method.Name)
            {
                builder.Append(char.IsLetterOrDigit(c) ? c : '_');
            }

            var signature = method.GetDocumentationCommentId() ?? method.ToDisplayString();
            if (method.ContainingType.GetMembers(method.Name).Length > 1)
            {
                builder.Append('_').Append(StableHash(signature).ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
            }

            return builder.ToString();
        }

        private static uint StableHash(string value)
        {
            // FNV-1a: stable across processes, unlike string.GetHashCode.
            var hash = 2166136261u;
            foreach (var c in value)
            {
                hash = unchecked((hash ^ c) * 16777619u);
            }

            return hash;
        }

        private static string EscapeIdentifier(string name) =>
            Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + name : name;
    }
}
