using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace TracedLlm.Testing;

/// <summary>
/// What test compilations reference, offline: the .NET 10 reference assemblies from
/// Basic.Reference.Assemblies.Net100 (the testing library's own ReferenceAssemblies.Net.* would
/// download packs), the ASP.NET Core reference pack of the installed SDK (no
/// Basic.Reference.Assemblies package exists for it; the shared framework's assemblies when the
/// pack is missing), the TracedLlm runtime and the libraries its API uses.
/// </summary>
internal static class TestReferences
{
    /// <summary>A target framework with no package to resolve: the references come from <see cref="All"/>.</summary>
    public static readonly ReferenceAssemblies None = new("net10.0");

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyAll = new(Load);

    public static ImmutableArray<MetadataReference> All => LazyAll.Value;

    private static ImmutableArray<MetadataReference> Load()
    {
        var references = new List<MetadataReference>(Basic.Reference.Assemblies.Net100.References.All);
        var names = new HashSet<string>(
            references.OfType<PortableExecutableReference>().Select(r => Path.GetFileNameWithoutExtension(r.FilePath!)),
            StringComparer.OrdinalIgnoreCase);
        void Add(string path)
        {
            if (names.Add(Path.GetFileNameWithoutExtension(path)))
            {
                references.Add(MetadataReference.CreateFromFile(path));
            }
        }

        foreach (var path in AspNetCoreAssemblies())
        {
            Add(path);
        }

        var runtime = typeof(TracedLlmRouteAttribute).Assembly;
        Add(runtime.Location);
        foreach (var referenced in runtime
                .GetReferencedAssemblies()
                .Append(new AssemblyName("Microsoft.Extensions.AI.Abstractions")))
        {
            if (!names.Contains(referenced.Name!) && TryLoad(referenced) is { Location.Length: > 0 } assembly)
            {
                Add(assembly.Location);
            }
        }

        return references.ToImmutableArray();
    }

    private static IEnumerable<string> AspNetCoreAssemblies()
    {
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll ->
        // <dotnet>/packs/Microsoft.AspNetCore.App.Ref/<version>/ref/net10.0
        var dotnet = Path.GetFullPath(
            Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var pack = Path.Combine(dotnet, "packs", "Microsoft.AspNetCore.App.Ref");
        var refDirectory = Directory.Exists(pack)
            ? Directory.EnumerateDirectories(pack)
                .Select(version => Path.Combine(version, "ref", "net10.0"))
                .Where(Directory.Exists)
                .OrderByDescending(path =>
                    Version.TryParse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(path))), out var v)
                        ? v
                        : new Version(0, 0))
                .FirstOrDefault()
            : null;
        var directory =
            refDirectory ?? Path.GetDirectoryName(typeof(Microsoft.AspNetCore.Http.HttpContext).Assembly.Location)!;
        return Directory.EnumerateFiles(directory, "*.dll");
    }

    private static Assembly? TryLoad(AssemblyName name)
    {
        try
        {
            return Assembly.Load(name);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
