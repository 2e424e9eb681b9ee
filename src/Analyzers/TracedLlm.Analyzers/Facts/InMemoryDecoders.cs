namespace TracedLlm.Analyzers.Facts;

/// <summary>The library members that decode a value held in memory, and those that only compute on one.</summary>
internal sealed class InMemoryDecoders
{
    private readonly INamedTypeSymbol?[] _decoderTypes;
    private readonly INamedTypeSymbol?[] _valueTypes;
    private readonly INamedTypeSymbol?[] _tokenReaders;
    private readonly INamedTypeSymbol?[] _newtonsoft;
    private readonly INamedTypeSymbol?[] _collections;
    private readonly INamedTypeSymbol?[] _readersAndWriters;
    private readonly INamedTypeSymbol?[] _actionResult;
    private readonly INamedTypeSymbol? _uri;
    private readonly INamedTypeSymbol? _enumerable;

    public InMemoryDecoders(Compilation compilation, INamedTypeSymbol? encoding)
    {
        INamedTypeSymbol?[] Types(params string[] names) => names.Select(compilation.GetTypeByMetadataName).ToArray();
        _uri = compilation.GetTypeByMetadataName("System.Uri");
        _enumerable = compilation.GetTypeByMetadataName("System.Linq.Enumerable");
        _actionResult = Types("Microsoft.AspNetCore.Mvc.ActionResult`1");

        // What reads or writes as it decodes or encodes: a stream, a text or JSON reader or writer (a file, a body).
        _readersAndWriters = Types("System.IO.Stream", "System.IO.TextReader", "System.IO.TextWriter",
            "System.Text.Json.Utf8JsonWriter", "Newtonsoft.Json.JsonReader", "Newtonsoft.Json.JsonWriter");

        // Newtonsoft.Json's decoders of text in memory: they throw JsonReaderException or JsonSerializationException
        // for text not in the format; a JToken's members read the tree already parsed.
        _newtonsoft = Types("Newtonsoft.Json.JsonConvert", "Newtonsoft.Json.Linq.JToken");
        NewtonsoftJsonException = compilation.GetTypeByMetadataName("Newtonsoft.Json.JsonException");

        // The BCL's concrete collections, which hold their items in memory, and StringBuilder, which holds its text.
        _collections = Types("System.Text.StringBuilder", "System.Collections.Generic.Dictionary`2",
            "System.Collections.Generic.List`1", "System.Collections.Generic.HashSet`1",
            "System.Collections.Generic.KeyValuePair`2", "System.Collections.Generic.SortedDictionary`2",
            "System.Collections.Generic.Queue`1", "System.Collections.Generic.Stack`1");

        // Base64 and base64url (RFC 4648, sections 4 and 5) and text encodings: each reads the text or bytes given.
        _decoderTypes = Types(
                "System.Convert",
                "System.Buffers.Text.Base64",
                "System.Buffers.Text.Base64Url",
                "Microsoft.AspNetCore.WebUtilities.WebEncoders",
                "Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder",
                "Microsoft.AspNetCore.Authentication.Base64UrlTextEncoder",
                "IdentityModel.Base64Url",
                "Duende.IdentityModel.Base64Url",
                "Microsoft.IdentityModel.Tokens.Base64UrlEncoder")
            .Append(encoding).ToArray();

        // Values a decoder returns, whose members read what was decoded: a URI's parts, a GUID, a date or a time, a
        // JWT's header, payload and claims (read from the token already decoded, never validated).
        _valueTypes = Types("System.Uri", "System.Guid", "System.DateTime", "System.DateTimeOffset", "System.TimeSpan",
            "System.DateOnly", "System.TimeOnly", "System.Nullable`1", "System.Enum", "System.Math",
            "System.Globalization.CultureInfo", "System.Security.Claims.Claim",
            "System.IdentityModel.Tokens.Jwt.JwtSecurityToken", "System.IdentityModel.Tokens.Jwt.JwtPayload",
            "System.IdentityModel.Tokens.Jwt.JwtHeader", "Microsoft.IdentityModel.JsonWebTokens.JsonWebToken",
            "Newtonsoft.Json.JsonSerializerSettings");

        // The JWT handlers' Read* only parse a compact token (their ValidateToken* may fetch keys or metadata).
        _tokenReaders = Types("System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler",
            "Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler");
    }

    /// <summary>A call that decodes a value in memory (base64, a URI, a number, a date, a JWT, JSON,
    /// Unprotect).</summary>
    public bool Decodes(IMethodSymbol method, bool json, bool unprotect)
    {
        if (ReadsOrWrites(method))
        {
            return false;
        }

        if (json || unprotect || OfLibrary(method, _decoderTypes) || OfLibrary(method, _newtonsoft))
        {
            return true;
        }

        var firstIsText =
            method.Parameters.Length > 0 && method.Parameters[0].Type.SpecialType == SpecialType.System_String;
        if (method.MethodKind == MethodKind.Constructor)
        {
            return firstIsText && (Same(method.ContainingType, _uri) || OfLibrary(method, _valueTypes));
        }

        return (method.Name is "Parse" or "ParseExact" or "TryParse" or "TryParseExact" or "TryCreate"
                && (IsPrimitive(method.ContainingType) || OfLibrary(method, _valueTypes)))
            || (firstIsText && method.Name is "ReadJwtToken" or "ReadJsonWebToken" or "ReadToken" or "CanReadToken"
                && OfLibrary(method, _tokenReaders));
    }

    /// <summary>A library member that computes on a value in memory (a primitive's, a decoded value's).</summary>
    public bool Computes(ISymbol member) =>
        !ReadsOrWrites(member)
        && (IsPrimitive(member.ContainingType) || OfLibrary(member, _valueTypes) || OfLibrary(member, _newtonsoft)
            || (member is IMethodSymbol { MethodKind: MethodKind.Conversion } && OfLibrary(member, _actionResult))
            || (member is IMethodSymbol { MethodKind: MethodKind.Constructor } && OfLibrary(member, _tokenReaders))
            || (OfLibrary(member, _collections)
                && !Parameters(member).Any(parameter => parameter.Type.TypeKind == TypeKind.Interface)));

    /// <summary>Newtonsoft.Json's <c>JsonException</c>, the base of what its decoders throw.</summary>
    public INamedTypeSymbol? NewtonsoftJsonException { get; }

    /// <summary>A <c>foreach</c> over an array, a string or a library's collection: it only reads the items.</summary>
    public bool EnumeratesInMemory(IForEachLoopOperation loop) =>
        !loop.IsAsynchronous && ValueFlow.Unwrap(loop.Collection).Type is { } type
        && (type is IArrayTypeSymbol || type.SpecialType == SpecialType.System_String
            || (!type.Locations.Any(location => location.IsInSource)
                && new[] { _collections, _newtonsoft, _valueTypes }.Any(types =>
                    types.Any(known => Derives(type, known)))));

    /// <summary>Of a library's collection type (<see cref="Computes"/>'s): what a handler may keep a value
    /// in.</summary>
    public bool IsCollection(ITypeSymbol? type) => type is not null
        && !type.Locations.Any(location => location.IsInSource) && _collections.Any(known => Derives(type, known));

    // A member given a stream, a reader or a writer: it reads or writes as it decodes.
    private bool ReadsOrWrites(ISymbol member) =>
        Parameters(member).Any(parameter => _readersAndWriters.Any(type => Derives(parameter.Type, type)));

    private static System.Collections.Immutable.ImmutableArray<IParameterSymbol> Parameters(ISymbol member) =>
        member switch
        {
            IMethodSymbol method => method.Parameters,
            IPropertySymbol property => property.Parameters,
            _ => System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty,
        };

    /// <summary>A LINQ to Objects call over a sequence computed in memory, not a deferred query kept
    /// elsewhere.</summary>
    public bool Enumerates(IInvocationOperation call)
    {
        if (!Same(call.TargetMethod.ContainingType, _enumerable) || call.Arguments.Length == 0)
        {
            return false;
        }

        var source = ValueFlow.Unwrap(call.Arguments[0].Value);
        return source.Type is IArrayTypeSymbol || source.Type?.SpecialType == SpecialType.System_String
            || IsCollection(source.Type) || source is IInvocationOperation or IArrayCreationOperation
            || (source is IPropertyReferenceOperation property && OfLibrary(property.Property, _valueTypes));
    }

    private static bool IsPrimitive(ITypeSymbol? type) =>
        type?.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_String;

    private static bool OfLibrary(ISymbol member, INamedTypeSymbol?[] types) => member.ContainingType is { } owner
        && !owner.Locations.Any(location => location.IsInSource) && types.Any(type => Derives(owner, type));

    private static bool Derives(ITypeSymbol? type, INamedTypeSymbol? baseType) =>
        baseType is not null && DerivesFrom(type, baseType);
}

/// <summary>What code does with data in memory (<see cref="CompilationFacts.WorkOf(IOperation)"/>).</summary>
internal enum InMemoryWork
{
    /// <summary>It may do something else: a call of code not known, I/O, an await.</summary>
    Other,

    /// <summary>It only computes on data in memory.</summary>
    Computes,

    /// <summary>It computes, and decodes a value in memory.</summary>
    Decodes,
}
