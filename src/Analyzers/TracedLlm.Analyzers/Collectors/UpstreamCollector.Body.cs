using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace TracedLlm.Analyzers.Collectors;

/// <summary>
/// The body a <c>POST</c> sends, when it is the JSON of a value whose type the rule knows: every model API names its
/// input in its JSON body, at the top level or (iFlytek Spark's <c>payload.messages</c>) below it (OpenAI's <c>messages</c>, <c>prompt</c> and <c>input</c>, Anthropic's
/// <c>messages</c>, Gemini's <c>contents</c> and embedContent's <c>content</c>, Ollama's <c>messages</c>, <c>prompt</c>
/// and <c>input</c>, Bedrock's <c>prompt</c>, <c>messages</c> and <c>inputText</c>, Azure AI Content Safety's
/// <c>text</c> and <c>image</c>, Azure AI Vision's <c>text</c> and <c>url</c>), so a body whose names include none of
/// them at any depth, and that cannot carry arbitrary names, asks no model for anything.
/// </summary>
internal sealed partial class UpstreamCollector
{
    /// <summary>The input names of the model APIs' request bodies, lower case, without <c>_</c> or <c>-</c>.</summary>
    private static readonly string[] InputNames = { "messages", "prompt", "input", "contents", "content", "requests", "inputtext", "text", "image", "url" };

    /// <summary>
    /// A <c>POST</c> whose body is the JSON serialization of a value whose static type is known and names no model input:
    /// <c>PostAsJsonAsync(uri, value)</c>, or a content (given to <c>PostAsync</c>, or in the object initializer of a
    /// request message built as <see cref="BuiltHere"/> reads it, its <c>Content</c> named nowhere else) that is
    /// <c>JsonContent.Create(value)</c> or <c>new StringContent(json, ...)</c> of <c>JsonSerializer.Serialize(value)</c> or
    /// <c>JsonConvert.SerializeObject(value)</c>, each in the call or in a local written only at its declaration (a request
    /// message's content may also be set by one statement after it is built: <see cref="ContentSetOnce"/>). The
    /// value's type is read by <see cref="NamesNoInput"/>; or a form that names no input (<see cref="IsFormWithoutInput"/>).
    /// Anything else (a string, a stream, bytes, a multipart form, a content from elsewhere) is taken for a model call, and
    /// so is any body sent through a client whose send may change it.
    /// </summary>
    private static bool SendsNoModelInput(IInvocationOperation invocation, MethodScope scope)
    {
        if (MethodScope.Receiver(invocation) is { } receiver && !SendsAsGiven(Facts.ValueFlow.Unwrap(receiver).Type))
        {
            return false;
        }

        var method = invocation.TargetMethod.ReducedFrom ?? invocation.TargetMethod;
        switch (method.ContainingType?.ToDisplayString())
        {
            // System.Text.Json writes TValue's contract (the declared type's), whatever the value's runtime type.
            case "System.Net.Http.Json.HttpClientJsonExtensions" when method.Name == "PostAsJsonAsync":
                return invocation.TargetMethod.TypeArguments.Length == 1 && NamesNoInput(invocation.TargetMethod.TypeArguments[0], mayBeDerived: null);
            case "System.Net.Http.HttpClient" when method.Name == "PostAsync":
                return PostedContent(invocation) is { } content && CarriesNoInput(content, scope);
        }

        return SentMessage(invocation, scope) is { } message && MessageContent(message, invocation, scope) is { } body && CarriesNoInput(body, scope);
    }

    /// <summary>
    /// The content of a request message (sent, or handed to a helper by <paramref name="handOff"/>) built as
    /// <see cref="BuiltHere"/> reads it: given once in its object initializer and named nowhere else, or set once after it
    /// is built (<see cref="ContentSetOnce"/>); null for any other shape.
    /// </summary>
    private static IOperation? MessageContent(IOperation message, IInvocationOperation handOff, MethodScope scope)
    {
        if (BuiltHere(message, scope, use => LeavesContent(use, handOff, scope)) is { Type: { } type, Initializer: { } initializer }
            && IsMessage(type)
            && initializer.Initializers.OfType<ISimpleAssignmentOperation>().Where(a => NamesContent(a.Target)).ToList() is { Count: 1 } bodies
            && !initializer.Descendants().Any(o => NamesContent(o) && o != bodies[0].Target))
        {
            return bodies[0].Value;
        }

        return ContentSetOnce(message, handOff, scope);
    }

    /// <summary>
    /// The content of a request message kept in a local, built without one (<c>new HttpRequestMessage(HttpMethod.Post, url)</c>,
    /// its <c>Content</c> named nowhere in its creation) and given one by a single statement, <c>message.Content = ...;</c>, in
    /// the block that declares it, before the statement that sends it: it runs once, on every path, before the send. Every
    /// other use of the local leaves its content alone (<see cref="LeavesContent"/>). Null for any other shape.
    /// </summary>
    private static IOperation? ContentSetOnce(IOperation message, IInvocationOperation send, MethodScope scope)
    {
        ISimpleAssignmentOperation? set = null;
        bool Harmless(ILocalReferenceOperation use)
        {
            if (use.Parent is IPropertyReferenceOperation property && property.Instance == use && NamesContent(property)
                && property.Parent is ISimpleAssignmentOperation assignment && assignment.Target == property
                && assignment.Parent is IExpressionStatementOperation && set is null)
            {
                set = assignment;
                return true;
            }

            return LeavesContent(use, send, scope);
        }

        if (BuiltHere(message, scope, Harmless) is not { Type: { } type } creation || !IsMessage(type)
            || creation.Initializer?.Descendants().Any(NamesContent) == true || set is null
            || set.Parent?.Parent is not IBlockOperation block)
        {
            return null;
        }

        // The statements that build the message (a declaration, a using declaration), set its content and send it.
        var statements = block.Operations;
        int At(IOperation operation)
        {
            for (var i = 0; i < statements.Length; i++)
            {
                if (statements[i].DescendantsAndSelf().Contains(operation))
                {
                    return i;
                }
            }

            return -1;
        }

        var builtAt = At(creation);
        var setAt = statements.IndexOf(set.Parent);
        return builtAt >= 0 && setAt > builtAt && At(send) > setAt ? set.Value : null;
    }

    // JsonContent.Create<T>(value), a StringContent of the JSON text of a value, or a form naming no input.
    private static bool CarriesNoInput(IOperation content, MethodScope scope) => Declared(content, scope) switch
    {
        IObjectCreationOperation { Type: { } type } form when type.ToDisplayString() == "System.Net.Http.FormUrlEncodedContent" => IsFormWithoutInput(form),
        IObjectCreationOperation { Type: { } type } text when type.ToDisplayString() == "System.Net.Http.StringContent" && DeclaresForm(text) =>
            IsFormWithoutInput(text) && !HeadersNamed(content, scope),
        IInvocationOperation { TargetMethod: { Name: "Create", IsGenericMethod: true } create } when create.ContainingType.ToDisplayString() == "System.Net.Http.Json.JsonContent" =>
            NamesNoInput(create.TypeArguments[0], mayBeDerived: null),
        IObjectCreationOperation { Type: { } type } text when type.ToDisplayString() == "System.Net.Http.StringContent" =>
            text.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value is { } json && IsSerializedWithoutInput(json, scope),
        _ => false,
    };

    /// <summary>
    /// A content kept in a local whose headers are named in the member (<c>content.Headers.ContentType = ...</c>): its media type may
    /// be set after it is made, so a form declared by its constructor is read as a string.
    /// </summary>
    private static bool HeadersNamed(IOperation content, MethodScope scope) =>
        Facts.ValueFlow.Unwrap(content) is ILocalReferenceOperation { Local: var local }
        && scope.Blocks.SelectMany(b => b.DescendantsAndSelf()).OfType<ILocalReferenceOperation>()
            .Any(use => WellKnownTypes.Same(use.Local, local) && use.Parent is IPropertyReferenceOperation { Property.Name: "Headers" });

    /// <summary>
    /// A form (<c>application/x-www-form-urlencoded</c>): no model API takes its input in one (each takes JSON, or a multipart
    /// form for a file: an audio transcription, an image edit), and it is what an OAuth 2.0 token request is sent as (RFC 6749,
    /// sections 4.1.3 and 4.4.2), or an HTML form a payment or sign-in service reads: a <c>FormUrlEncodedContent</c>, or a
    /// <c>StringContent</c> declared <c>application/x-www-form-urlencoded</c> (<see cref="DeclaresForm"/>). A form whose code
    /// names an input (any constant string written in its creation, a key or a value, or a pair of a constant text:
    /// <c>["prompt"] = text</c>, <c>"prompt=hi"</c>) is taken for a model call.
    /// </summary>
    private static bool IsFormWithoutInput(IObjectCreationOperation form) =>
        !form.DescendantsAndSelf().Any(o => o.ConstantValue is { HasValue: true, Value: string text }
            && text.Split('&', '=').Select(System.Uri.UnescapeDataString).Any(IsInputName));

    /// <summary>
    /// A <c>StringContent</c> whose media type, given to its constructor, is the constant <c>application/x-www-form-urlencoded</c>
    /// (a string, or a <c>MediaTypeHeaderValue</c> made of one): a form written by hand (<c>a=1&amp;b=2</c>).
    /// </summary>
    private static bool DeclaresForm(IObjectCreationOperation content) =>
        content.Arguments.Any(argument => argument.Parameter?.Name == "mediaType" && Facts.ValueFlow.Unwrap(argument.Value) switch
        {
            IObjectCreationOperation { Type.Name: "MediaTypeHeaderValue", Arguments: { Length: > 0 } made } => IsFormType(made[0].Value),
            var value => IsFormType(value),
        });

    private static bool IsFormType(IOperation value) =>
        Facts.ValueFlow.Unwrap(value).ConstantValue is { HasValue: true, Value: string type }
        && string.Equals(type.Trim(), "application/x-www-form-urlencoded", System.StringComparison.OrdinalIgnoreCase);

    // System.Text.Json's generic Serialize (the declared type's contract), or Newtonsoft's SerializeObject (the runtime type's).
    private static bool IsSerializedWithoutInput(IOperation json, MethodScope scope) => Declared(json, scope) switch
    {
        IInvocationOperation { TargetMethod: { Name: "Serialize", IsGenericMethod: true } serialize } when serialize.ContainingType.ToDisplayString() == "System.Text.Json.JsonSerializer" =>
            NamesNoInput(serialize.TypeArguments[0], mayBeDerived: null),
        IInvocationOperation { TargetMethod: { Name: "SerializeObject" } serialize } call when serialize.ContainingType.ToDisplayString() == "Newtonsoft.Json.JsonConvert" =>
            call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0)?.Value is { } value && NamesNoInput(Facts.ValueFlow.Unwrap(value).Type, scope.Compilation.HasDerivedClasses),
        _ => false,
    };

    /// <summary>
    /// The operation itself, or, for a local written only at its declaration (never assigned, never passed by
    /// <c>ref</c> or <c>out</c>, never a deconstruction's target), its initializer; null for a local written elsewhere.
    /// </summary>
    private static IOperation? Declared(IOperation operation, MethodScope scope)
    {
        operation = Facts.ValueFlow.Unwrap(operation);
        if (operation is not ILocalReferenceOperation { Local: var local })
        {
            return operation;
        }

        IOperation? initializer = null;
        foreach (var node in scope.Blocks.SelectMany(b => b.DescendantsAndSelf()))
        {
            switch (node)
            {
                case IVariableDeclaratorOperation declarator when WellKnownTypes.Same(declarator.Symbol, local):
                    initializer = declarator.GetVariableInitializer()?.Value;
                    break;
                case ILocalReferenceOperation use when WellKnownTypes.Same(use.Local, local) && Facts.ValueFlow.IsWritten(use):
                    return null;
            }
        }

        return initializer is null ? null : Facts.ValueFlow.Unwrap(initializer);
    }

    /// <summary>
    /// Whether the JSON of a value of type <paramref name="type"/> names no model input anywhere: a class, record or struct
    /// (declared in source or a library, or anonymous) outside <c>System</c> and <c>Newtonsoft</c> (whose types the
    /// serializers write their own way: nodes, elements, streams), no collection at the top (a list is an array, a
    /// dictionary any names), no converter or polymorphism of its own (<c>[JsonConverter]</c>, <c>[JsonPolymorphic]</c>,
    /// <c>[JsonDerivedType]</c>), and none of its members or its base types' (properties and fields of any accessibility,
    /// constructor parameters, and every string given to their attributes, so <c>[JsonPropertyName]</c>,
    /// <c>[JsonProperty]</c> and <c>[DataMember(Name = ...)]</c> too) named an input name, compared without case,
    /// <c>_</c> or <c>-</c> (so any naming policy), nor any <c>[JsonExtensionData]</c>. The members' values are read the
    /// same way, down the whole object graph (an API may nest its input: iFlytek Spark's <c>payload.messages</c>): each a
    /// scalar, an enum, a list of readable values or such a type; an <c>object</c>, a node, a dictionary or a type
    /// parameter anywhere makes the body unread. For a serializer that writes the runtime type (Json.NET's, given
    /// <paramref name="mayBeDerived"/>), every class must be sealed or have no class of the program derived from it
    /// (<see cref="Facts.CompilationFacts.HasDerivedClasses"/>): a derived one could add an input.
    /// </summary>
    internal static bool NamesNoInput(ITypeSymbol? type, System.Func<INamedTypeSymbol, bool>? mayBeDerived) =>
        type is INamedTypeSymbol named && !named.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable)
        && ObjectNamesNoInput(named, mayBeDerived, new System.Collections.Generic.HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

    private static bool ObjectNamesNoInput(INamedTypeSymbol named, System.Func<INamedTypeSymbol, bool>? mayBeDerived, System.Collections.Generic.HashSet<ITypeSymbol> seen)
    {
        if (!seen.Add(named))
        {
            return true;
        }

        if (named.TypeKind is not (TypeKind.Class or TypeKind.Struct) || named.SpecialType != SpecialType.None || seen.Count > 64
            || (mayBeDerived is not null && named.TypeKind == TypeKind.Class && !named.IsSealed && !named.IsAnonymousType && mayBeDerived(named)))
        {
            return false;
        }

        for (var current = named; current is not null && current.SpecialType is not (SpecialType.System_Object or SpecialType.System_ValueType); current = current.BaseType)
        {
            if (current.ContainingNamespace?.ToDisplayString() is { } space && (Within(space, "System") || Within(space, "Newtonsoft"))
                || current.GetAttributes().Any(a => a.AttributeClass?.Name is "JsonConverterAttribute" or "JsonPolymorphicAttribute" or "JsonDerivedTypeAttribute"))
            {
                return false;
            }

            foreach (var member in current.GetMembers())
            {
                var symbols = member switch
                {
                    IPropertySymbol or IFieldSymbol => new[] { member },
                    IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => constructor.Parameters.ToArray<ISymbol>(),
                    _ => System.Array.Empty<ISymbol>(),
                };
                if (symbols.Any(symbol => symbol.GetAttributes().Any(IsExtensionData) || NamesInput(symbol))
                    || (Serialized(member) is { } value && !ValueNamesNoInput(value, mayBeDerived, seen)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    // The type of a member a serializer may write: an instance property or field that is public or carries attributes
    // ([JsonInclude], [JsonProperty]); not an auto-property's backing field.
    private static ITypeSymbol? Serialized(ISymbol member) => member switch
    {
        _ when member.IsStatic || member.IsImplicitlyDeclared => null,
        IPropertySymbol property when property.DeclaredAccessibility == Accessibility.Public || !property.GetAttributes().IsEmpty => property.Type,
        IFieldSymbol field when field.DeclaredAccessibility == Accessibility.Public || !field.GetAttributes().IsEmpty => field.Type,
        _ => null,
    };

    // A member's value: a scalar (no names), a list of readable values, or an object read as the body is.
    private static bool ValueNamesNoInput(ITypeSymbol type, System.Func<INamedTypeSymbol, bool>? mayBeDerived, System.Collections.Generic.HashSet<ITypeSymbol> seen)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type.TypeKind == TypeKind.Enum || IsScalar(type))
        {
            return true;
        }

        if (type is IArrayTypeSymbol array)
        {
            return ValueNamesNoInput(array.ElementType, mayBeDerived, seen);
        }

        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        var sequences = named.AllInterfaces.Add(named).Where(i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T).ToList();
        if (sequences.Count > 0 || named.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable))
        {
            // The framework's lists are written as arrays of their elements; a dictionary writes any names, and a
            // collection of another library or of source may have its own converter.
            return sequences.Count == 1 && !named.AllInterfaces.Add(named).Any(i => i.Name is "IDictionary" or "IReadOnlyDictionary")
                && named.ContainingNamespace?.ToDisplayString() is { } space && Within(space, "System.Collections")
                && ValueNamesNoInput(sequences[0].TypeArguments[0], mayBeDerived, seen);
        }

        return ObjectNamesNoInput(named, mayBeDerived, seen);
    }

    private static bool IsScalar(ITypeSymbol type) =>
        type.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_String or SpecialType.System_DateTime
        || type.ToDisplayString() is "System.Guid" or "System.DateTimeOffset" or "System.TimeSpan" or "System.Uri" or "System.DateOnly" or "System.TimeOnly";

    private static bool Within(string space, string root) => space == root || space.StartsWith(root + ".", System.StringComparison.Ordinal);

    private static bool IsExtensionData(AttributeData attribute) => attribute.AttributeClass?.Name == "JsonExtensionDataAttribute";

    // The member's name, or any string its attributes carry (a serialized name).
    private static bool NamesInput(ISymbol symbol) =>
        IsInputName(symbol.Name)
        || symbol.GetAttributes().Any(a => a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.Value)).Any(v => v.Kind == TypedConstantKind.Primitive && v.Value is string name && IsInputName(name)));

    private static bool IsInputName(string name)
    {
        var bare = new string(name.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant).ToArray());
        return InputNames.Contains(bare);
    }
}
