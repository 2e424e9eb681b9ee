using System.Globalization;

namespace TracedLlm.Analyzers.Facts;

/// <summary>The Microsoft.Extensions.AI clients a service container holds, as <c>attempt_clients</c> names
/// them.</summary>
/// <remarks>
/// <c>IChatClient</c> or <c>IEmbeddingGenerator</c>, <c>:key</c> for a keyed one. A key the code does not show as a
/// constant is <c>*</c>: a registration under it may be any key's, a resolution is none.
/// </remarks>
internal static class ServiceClients
{
    private const string AnyKey = "*";

    /// <summary>The service a type is, or null: <c>IChatClient</c>, <c>IEmbeddingGenerator</c>.</summary>
    public static string? Service(ITypeSymbol? type, WellKnownTypes types) =>
        type is null ? null
        : Same(type, types.ChatClient) ? "IChatClient"
        : types.EmbeddingGenerator is { } generator && Same(type.OriginalDefinition, generator)
            ? "IEmbeddingGenerator"
            : null;

    /// <summary>What the container gives a parameter it fills: keyed by <c>[FromKeyedServices]</c>.</summary>
    public static string? Injected(IParameterSymbol parameter, WellKnownTypes types)
    {
        var keyed = parameter.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass?.Name == "FromKeyedServicesAttribute");
        return Service(parameter.Type, types) is not { } service ? null : keyed is null ? service
            : Named(service,
                keyed.ConstructorArguments is { Length: 1 } args && args[0].Value is { } key ? Text(key) : AnyKey);
    }

    /// <summary>What <c>GetRequiredService&lt;IChatClient&gt;()</c>, <c>GetKeyedService</c>... resolve, or
    /// null.</summary>
    public static string? Resolved(IInvocationOperation call, WellKnownTypes types) => call.TargetMethod
            is { Name: "GetService" or "GetRequiredService" or "GetKeyedService" or "GetRequiredKeyedService" }
        && call.TargetMethod.ContainingType.Name.StartsWith("ServiceProvider", StringComparison.Ordinal)
            ? Of(call, types) : null;

    /// <summary>What a registration adds (<c>AddChatClient</c>, <c>AddSingleton&lt;IChatClient&gt;</c>...), or
    /// null.</summary>
    public static string? Registered(IInvocationOperation call, WellKnownTypes types)
    {
        var method = call.TargetMethod;
        if (method.ContainingNamespace?.ToDisplayString() != "Microsoft.Extensions.DependencyInjection")
        {
            return null;
        }

        var service = method.Name switch
        {
            "AddChatClient" or "AddKeyedChatClient" => "IChatClient",
            "AddEmbeddingGenerator" or "AddKeyedEmbeddingGenerator" => "IEmbeddingGenerator",
            _ => null,
        };
        return service is not null ? Named(service, Key(call))
            : method.ContainingType.Name.StartsWith("ServiceCollection", StringComparison.Ordinal)
                && (method.Name.StartsWith("Add", StringComparison.Ordinal)
                    || method.Name.StartsWith("TryAdd", StringComparison.Ordinal))
                ? Of(call, types)
                : null;
    }

    /// <summary>The clients a readonly field or property keeps when every write is a constructor's parameter.</summary>
    public static List<string>? Kept(ISymbol member, WellKnownTypes types)
    {
        var (type, readOnly) = member switch
        {
            IFieldSymbol field => (field.Type, field.IsReadOnly),
            IPropertySymbol property => (property.Type, property.SetMethod is null),
            _ => (null, false),
        };
        if (!readOnly || Service(type, types) is null || member.ContainingType is not { } owner)
        {
            return null;
        }

        var primary = owner.InstanceConstructors
            .FirstOrDefault(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax));
        var writes = member.DeclaringSyntaxReferences.Select(r => Initializer(r.GetSyntax())).OfType<ExpressionSyntax>()
            .Select(value => (Value: value, Constructor: primary))
            .Concat(owner.InstanceConstructors.SelectMany(constructor => constructor.DeclaringSyntaxReferences
                .Select(r => r.GetSyntax()).OfType<ConstructorDeclarationSyntax>()
                .SelectMany(declared => declared.DescendantNodes().OfType<AssignmentExpressionSyntax>())
                .Where(assignment => Names(assignment.Left, member.Name))
                .Select(assignment => (Value: assignment.Right, Constructor: (IMethodSymbol?)constructor))));
        var kept = new List<string>();
        foreach (var (value, constructor) in writes)
        {
            if (value is not IdentifierNameSyntax name
                || constructor?.Parameters.FirstOrDefault(p => p.Name == name.Identifier.ValueText) is not { } parameter
                || Injected(parameter, types) is not { } client)
            {
                return null;
            }

            kept.Add(client);
        }

        return kept.Count > 0 ? kept : null;
    }

    /// <summary>The clients every registration of which ends its builder with <c>UseTracedLlm()</c>.</summary>
    public static IEnumerable<string> Traced(
        IReadOnlyCollection<(string Client, SyntaxNode Site, bool Traced)> registrations)
    {
        var traced = new HashSet<SyntaxNode>(registrations.Where(r => r.Traced).Select(r => r.Site));
        var untraced = registrations.Where(r => !traced.Contains(r.Site)).Select(r => r.Client).ToList();
        return registrations.Where(r => r.Traced && !r.Client.EndsWith(":" + AnyKey, StringComparison.Ordinal))
            .Select(r => r.Client).Distinct()
            .Where(client => !untraced.Any(other => other == client
                || (other.EndsWith(":" + AnyKey, StringComparison.Ordinal) && client.StartsWith(
                    other.Substring(0, other.Length - AnyKey.Length), StringComparison.Ordinal))));
    }

    private static string? Of(IInvocationOperation call, WellKnownTypes types) =>
        call.TargetMethod.TypeArguments is { Length: > 0 } services && Service(services[0], types) is { } name
            ? Named(name, call.TargetMethod.Name.Contains("Keyed") ? Key(call) : null)
            : null;

    private static string? Key(IInvocationOperation call) =>
        call.Arguments.FirstOrDefault(a => a.Parameter?.Name == "serviceKey") is not { } key ? null
        : ValueFlow.Unwrap(key.Value).ConstantValue is { HasValue: true, Value: { } value } ? Text(value)
        : AnyKey;

    private static string Named(string service, string? key) => key is null ? service : $"{service}:{key}";

    private static string Text(object value) => System.Convert.ToString(value, CultureInfo.InvariantCulture) ?? AnyKey;

    private static bool Names(ExpressionSyntax target, string name) => target switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } access => access.Name.Identifier.ValueText
                == name,
            _ => false,
        };

    /// <summary>The value a field's or property's declaration gives it, if any.</summary>
    internal static ExpressionSyntax? Initializer(SyntaxNode declaration) => declaration switch
    {
        VariableDeclaratorSyntax variable => variable.Initializer?.Value,
        PropertyDeclarationSyntax property => property.Initializer?.Value,
        _ => null,
    };
}
