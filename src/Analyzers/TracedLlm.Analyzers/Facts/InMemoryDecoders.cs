using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

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
        INamedTypeSymbol? Get(string name) => compilation.GetTypeByMetadataName(name);
        _uri = Get("System.Uri");
        _actionResult = new[] { Get("Microsoft.AspNetCore.Mvc.ActionResult`1") };
        _enumerable = Get("System.Linq.Enumerable");

        // What reads or writes as it decodes or encodes: a stream, a text reader or writer, a JSON reader or writer (each may
        // stand on a file or a response's body).
        _readersAndWriters = new[]
        {
            Get("System.IO.Stream"), Get("System.IO.TextReader"), Get("System.IO.TextWriter"), Get("System.Text.Json.Utf8JsonWriter"),
            Get("Newtonsoft.Json.JsonReader"), Get("Newtonsoft.Json.JsonWriter"),
        };

        // Newtonsoft.Json's decoders of text in memory (JsonConvert.DeserializeObject and SerializeObject, JObject, JArray and
        // JToken's Parse, FromObject, ToObject): they throw JsonReaderException or JsonSerializationException (both derived from
        // Newtonsoft.Json.JsonException) for text not in the format; a JToken's members read the tree already parsed.
        _newtonsoft = new[] { Get("Newtonsoft.Json.JsonConvert"), Get("Newtonsoft.Json.Linq.JToken") };
        NewtonsoftJsonException = Get("Newtonsoft.Json.JsonException");

        // The BCL's concrete collections, whose members read and write the items they hold in memory, and StringBuilder, which
        // holds the text it builds (its Append(object) calls the value's ToString, as string.Concat(object) does).
        _collections = new[]
        {
            Get("System.Text.StringBuilder"),
            Get("System.Collections.Generic.Dictionary`2"), Get("System.Collections.Generic.List`1"), Get("System.Collections.Generic.HashSet`1"),
            Get("System.Collections.Generic.KeyValuePair`2"), Get("System.Collections.Generic.SortedDictionary`2"), Get("System.Collections.Generic.Queue`1"),
            Get("System.Collections.Generic.Stack`1"),
        };

        // Base64 and base64url (RFC 4648, sections 4 and 5) and text encodings: each member reads the text or bytes given.
        _decoderTypes = new[]
        {
            Get("System.Convert"), encoding, Get("System.Buffers.Text.Base64"), Get("System.Buffers.Text.Base64Url"),
            Get("Microsoft.AspNetCore.WebUtilities.WebEncoders"), Get("Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder"),
            Get("Microsoft.AspNetCore.Authentication.Base64UrlTextEncoder"), Get("IdentityModel.Base64Url"), Get("Duende.IdentityModel.Base64Url"),
            Get("Microsoft.IdentityModel.Tokens.Base64UrlEncoder"),
        };

        // Values a decoder returns, whose members read or compute on what was decoded: a URI's parts, a GUID, a date or a
        // time (their operators too: a date minus a date), a nullable one's value, a JWT's header, payload and claims (read
        // from the token already decoded, never validated).
        _valueTypes = new[]
        {
            _uri, Get("System.Guid"), Get("System.DateTime"), Get("System.DateTimeOffset"), Get("System.TimeSpan"), Get("System.DateOnly"),
            Get("System.TimeOnly"), Get("System.Nullable`1"), Get("System.Enum"), Get("System.Math"), Get("System.Globalization.CultureInfo"), Get("System.Security.Claims.Claim"),
            Get("System.IdentityModel.Tokens.Jwt.JwtSecurityToken"), Get("System.IdentityModel.Tokens.Jwt.JwtPayload"), Get("System.IdentityModel.Tokens.Jwt.JwtHeader"),
            Get("Microsoft.IdentityModel.JsonWebTokens.JsonWebToken"), Get("Newtonsoft.Json.JsonSerializerSettings"),
        };

        // The JWT handlers whose Read* methods only parse a compact token (their ValidateToken* may fetch keys or metadata).
        _tokenReaders = new[] { Get("System.IdentityModel.Tokens.Jwt.JwtSecurityTokenHandler"), Get("Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler") };
    }

    /// <summary>A call that decodes a value in memory (base64, a URI, a number, a date, a JWT read, JSON,
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

        var firstIsText = method.Parameters.Length > 0 && method.Parameters[0].Type.SpecialType == SpecialType.System_String;
        if (method.MethodKind == MethodKind.Constructor)
        {
            return firstIsText && (WellKnownTypes.Same(method.ContainingType, _uri) || OfLibrary(method, _valueTypes));
        }

        return (method.Name is "Parse" or "ParseExact" or "TryParse" or "TryParseExact" or "TryCreate" && (IsPrimitive(method.ContainingType) || OfLibrary(method, _valueTypes)))
            || (firstIsText && method.Name is "ReadJwtToken" or "ReadJsonWebToken" or "ReadToken" or "CanReadToken" && OfLibrary(method, _tokenReaders));
    }

    /// <summary>A library member that computes on a value in memory (a primitive's, a decoded value's).</summary>
    public bool Computes(ISymbol member) =>
        !ReadsOrWrites(member)
        && (IsPrimitive(member.ContainingType) || OfLibrary(member, _valueTypes) || OfLibrary(member, _newtonsoft)
            || (member is IMethodSymbol { MethodKind: MethodKind.Conversion } && OfLibrary(member, _actionResult))
            || (member is IMethodSymbol { MethodKind: MethodKind.Constructor } && OfLibrary(member, _tokenReaders))
            || (OfLibrary(member, _collections) && !Parameters(member).Any(parameter => parameter.Type.TypeKind == TypeKind.Interface)));

    /// <summary>Newtonsoft.Json's <c>JsonException</c>, the base of what its decoders throw.</summary>
    public INamedTypeSymbol? NewtonsoftJsonException { get; }

    /// <summary>A <c>foreach</c> over an array, a string or a library's collection: its enumerator only reads the
    /// items.</summary>
    public bool EnumeratesInMemory(IForEachLoopOperation loop)
    {
        if (loop.IsAsynchronous || ValueFlow.Unwrap(loop.Collection).Type is not { } type)
        {
            return false;
        }

        return type is IArrayTypeSymbol || type.SpecialType == SpecialType.System_String
            || (!type.Locations.Any(location => location.IsInSource) && new[] { _collections, _newtonsoft, _valueTypes }.Any(types => types.Any(known => Derives(type, known))));
    }

    /// <summary>Of a library's collection type (<see cref="Computes"/>'s): what a handler may keep a value in.</summary>
    public bool IsCollection(ITypeSymbol? type) => type is not null && !type.Locations.Any(location => location.IsInSource) && _collections.Any(known => Derives(type, known));

    // A member given a stream, a reader or a writer: it reads or writes as it decodes.
    private bool ReadsOrWrites(ISymbol member) => Parameters(member).Any(parameter => _readersAndWriters.Any(type => Derives(parameter.Type, type)));

    private static System.Collections.Immutable.ImmutableArray<IParameterSymbol> Parameters(ISymbol member) => member switch
    {
        IMethodSymbol method => method.Parameters,
        IPropertySymbol property => property.Parameters,
        _ => System.Collections.Immutable.ImmutableArray<IParameterSymbol>.Empty,
    };

    /// <summary>A LINQ to Objects call over a sequence computed in memory, not a deferred query held
    /// somewhere.</summary>
    public bool Enumerates(IInvocationOperation call)
    {
        if (!WellKnownTypes.Same(call.TargetMethod.ContainingType, _enumerable) || call.Arguments.Length == 0)
        {
            return false;
        }

        var source = ValueFlow.Unwrap(call.Arguments[0].Value);
        return source.Type is IArrayTypeSymbol || source.Type?.SpecialType == SpecialType.System_String || IsCollection(source.Type)
            || source is IInvocationOperation or IArrayCreationOperation
            || (source is IPropertyReferenceOperation property && OfLibrary(property.Property, _valueTypes));
    }

    private static bool IsPrimitive(ITypeSymbol? type) => type?.SpecialType is >= SpecialType.System_Boolean and <= SpecialType.System_String;

    private static bool OfLibrary(ISymbol member, INamedTypeSymbol?[] types) =>
        member.ContainingType is { } owner && !owner.Locations.Any(location => location.IsInSource) && types.Any(type => Derives(owner, type));

    private static bool Derives(ITypeSymbol? type, INamedTypeSymbol? baseType) => baseType is not null && WellKnownTypes.DerivesFrom(type, baseType);
}

/// <summary>What a piece of code does with data in memory (<see cref="CompilationFacts.WorkOf(IOperation)"/>).</summary>
internal enum InMemoryWork
{
    /// <summary>It may do something else: a call of code not known, I/O, an await.</summary>
    Other,

    /// <summary>It only computes on data in memory.</summary>
    Computes,

    /// <summary>It computes, and decodes a value in memory.</summary>
    Decodes,
}
