// The sources of a compilation and the library references built from source (the ref: arguments of Program.cs).
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Text;
using TracedLlm.Analyzers.Corpus.Tests;
using TracedLlm.Analyzers.Tests;

internal static class Sources
{
    /// <summary>
    /// The .cs files of the comma-separated folders (bin/ and obj/ left out, and the folders written with a leading '!':
    /// tests a project keeps among its own files; a .cs file written so is left out alone; .proto files listed are generated apart, <see cref="Protobuf"/>), parsed, in
    /// path order; with several folders, each folder's global usings
    /// kept to its own files (<see cref="ScopeGlobalUsings"/>).
    /// </summary>
    public static SyntaxTree[] Parse(string folders, CSharpParseOptions parse, ImmutableArray<MetadataReference> references, IReadOnlyList<SyntaxTree> generated, string? webUsings = null)
    {
        // A !FILE.cs leaves out that file alone (a file of a referenced project that its build keeps in its own assembly, such as its
        // own assembly attributes); any other !PATH a folder.
        var excluded = folders.Split(',').Where(f => f.StartsWith('!')).Select(f => f.EndsWith(".cs", StringComparison.Ordinal) ? f[1..] : Path.TrimEndingDirectorySeparator(f[1..]) + "/").ToList();
        var files = Folders(folders).SelectMany(f => Directory.EnumerateFiles(f, "*.cs", SearchOption.AllDirectories).Select(p => (Folder: f, Path: p)))
            .Where(p => !p.Path.Contains("/obj/", StringComparison.Ordinal) && !p.Path.Contains("/bin/", StringComparison.Ordinal) && !excluded.Any(e => p.Path.StartsWith(e, StringComparison.Ordinal)))
            .OrderBy(p => p.Path, StringComparer.Ordinal)
            .Select(p => (p.Folder, Tree: CSharpSyntaxTree.ParseText(File.ReadAllText(p.Path), parse, p.Path)))
            .ToList();

        // The web SDK's own usings (Program.cs), as global usings of each web project's folder, kept to its files as its own are; not a file of the tree.
        var web = webUsings is null ? [] : Folders(folders).Where((f, i) => i == 0 || Directory.EnumerateFiles(f, "*.csproj").Any(p => File.ReadAllText(p).Contains("Microsoft.NET.Sdk.Web", StringComparison.Ordinal)))
            .Select(f => (Folder: f, Tree: CSharpSyntaxTree.ParseText(webUsings, parse, Path.Combine(f, "WebSdkUsings.g.cs")))).ToList();
        files.AddRange(web);
        var trees = files.Select(f => f.Folder).Distinct().Count() > 1 ? ScopeGlobalUsings(RenameRepeatedStaticClasses(files), references, generated) : files.Select(f => f.Tree).ToArray();
        return [.. trees.Where(t => !web.Any(w => w.Tree.FilePath == t.FilePath))];
    }

    /// <summary>
    /// Several projects compiled as one assembly can each declare a static class of the same name in the same namespace, where
    /// their builds keep each in its own assembly: CAP's core, transports and storages each declare
    /// Microsoft.Extensions.DependencyInjection.CapOptionsExtensions, whose extension methods (UseRabbitMQ, UseSqlServer) are
    /// called by their own names, never the class's; compiled together every copy but one is a duplicate (CS0101) and its file
    /// does not bind. The copies after the first folder's get the folder's name after their own (CapOptionsExtensions_DotNetCore_CAP_RabbitMQ),
    /// on the same line. A class declared partial, or nested in a type, is left as it is.
    /// </summary>
    private static List<(string Folder, SyntaxTree Tree)> RenameRepeatedStaticClasses(List<(string Folder, SyntaxTree Tree)> files)
    {
        static string FullName(ClassDeclarationSyntax c) =>
            string.Join(".", c.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Reverse().Select(n => n.Name.ToString()).Append(c.Identifier.Text + "`" + c.Arity));
        var declared = files.SelectMany(f => f.Tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<ClassDeclarationSyntax>()
                .Where(c => c.Modifiers.Any(SyntaxKind.StaticKeyword) && !c.Modifiers.Any(SyntaxKind.PartialKeyword))
                .Select(c => (f.Folder, f.Tree, Class: c, Name: FullName(c))))
            .ToList();
        var renamed = declared.GroupBy(d => d.Name).Where(g => g.Select(d => d.Folder).Distinct().Count() > 1)
            .SelectMany(g => g.Where(d => d.Folder != g.First().Folder))
            .ToLookup(d => d.Tree);
        return files.Select(f => renamed[f.Tree].Any()
            ? (f.Folder, f.Tree.WithChangedText(f.Tree.GetText().WithChanges(renamed[f.Tree].Select(d =>
                new TextChange(new TextSpan(d.Class.Identifier.Span.End, 0), "_" + new string(Path.GetFileName(Path.TrimEndingDirectorySeparator(d.Folder)).Select(ch => char.IsLetterOrDigit(ch) ? ch : '_').ToArray()))))))
            : f).ToList();
    }

    /// <summary>The folders of the comma-separated list a compilation's files come from: not those left out (!FOLDER), nor .proto files.</summary>
    public static IEnumerable<string> Folders(string folders) =>
        folders.Split(',').Where(f => !f.StartsWith('!') && !f.EndsWith(".proto", StringComparison.Ordinal));

    /// <summary>
    /// Several projects compiled as one assembly share one set of global usings, where their builds give each project its own:
    /// eShopOnContainers' Ordering.API imports its query namespace globally, whose Order then clashes (CS0104) with the domain's
    /// Order in every file of Ordering.Domain compiled beside it. So each folder's global usings become ordinary usings of its
    /// own files: the keyword dropped where they are written, and in the folder's other files the same usings put before the
    /// first using or declaration, on its line (every line keeps its number); a using the file already has is not repeated, nor
    /// one that names nothing the compilation has (a namespace of a package not served) with the code generated for it
    /// (<paramref name="generated"/>, the .proto files' messages and stubs), whose error stays where it is written instead of in every file.
    /// </summary>
    private static SyntaxTree[] ScopeGlobalUsings(IReadOnlyList<(string Folder, SyntaxTree Tree)> files, ImmutableArray<MetadataReference> references, IReadOnlyList<SyntaxTree> generated)
    {
        var compilation = CSharpCompilation.Create("GlobalUsings", files.Select(f => f.Tree).Concat(generated), references);
        bool Resolves(UsingDirectiveSyntax u) => compilation.GetSemanticModel(u.SyntaxTree).GetSymbolInfo(u.NamespaceOrType).Symbol is not null;
        var globals = files.GroupBy(f => f.Folder).ToDictionary(g => g.Key, g => g.SelectMany(f => GlobalUsings(f.Tree)).Where(Resolves).ToList());
        if (globals.Values.All(g => g.Count == 0))
        {
            return files.Select(f => f.Tree).ToArray();
        }

        return files.Select(f =>
        {
            var root = f.Tree.GetCompilationUnitRoot();
            var own = GlobalUsings(f.Tree).ToList();
            var written = root.Usings.Select(Text).ToHashSet(StringComparer.Ordinal);
            var aliases = root.Usings.Where(u => u.Alias is not null).Select(u => u.Alias!.Name.ToString()).ToHashSet(StringComparer.Ordinal);
            var added = globals[f.Folder].Except(own).Where(u => !written.Contains(Text(u)) && (u.Alias is null || !aliases.Contains(u.Alias.Name.ToString())))
                .Select(Text).Distinct(StringComparer.Ordinal).ToList();
            var changes = own.Select(u => new TextChange(TextSpan.FromBounds(u.GlobalKeyword.SpanStart, u.GlobalKeyword.GetNextToken().SpanStart), string.Empty)).ToList();
            var at = root.Externs.LastOrDefault() is { } lastExtern ? lastExtern.Span.End : root.GetFirstToken().SpanStart;
            if (added.Count > 0 && !root.GetFirstToken().IsKind(SyntaxKind.None) && !root.GetFirstToken().IsKind(SyntaxKind.EndOfFileToken))
            {
                changes.Add(new TextChange(new TextSpan(at, 0), (root.Externs.Any() ? " " : "") + string.Join(" ", added) + (root.Externs.Any() ? "" : " ")));
            }

            return changes.Count == 0 ? f.Tree : f.Tree.WithChangedText(f.Tree.GetText().WithChanges(changes.OrderBy(c => c.Span.Start).ThenBy(c => c.Span.Length)));
        }).ToArray();

        static IEnumerable<UsingDirectiveSyntax> GlobalUsings(SyntaxTree tree) =>
            tree.GetCompilationUnitRoot().Usings.Where(u => !u.GlobalKeyword.IsKind(SyntaxKind.None));

        // A using as an ordinary using, written on one line: "using static X;", "using A = B;".
        static string Text(UsingDirectiveSyntax u) =>
            string.Join(" ", new[] { "using", u.StaticKeyword.IsKind(SyntaxKind.None) ? null : "static", u.Alias is null ? null : u.Alias.Name + " =", u.NamespaceOrType.ToString() + ";" }.OfType<string>());
    }

    /// <summary>
    /// The trees compiled (the generator run, unsafe code allowed) and the IDs of the experimental-API errors turned off:
    /// the use of an API marked [Experimental] is an error under the ID the API names (KMEXP00, SKEXP0001), which a
    /// project that uses it turns off with &lt;NoWarn&gt;, as Kernel Memory and eShopSupport do: turned off the same way.
    /// </summary>
    public static (Compilation Compilation, List<string> Experimental) Compile(ImmutableArray<MetadataReference> references, OutputKind kind, SyntaxTree[] trees)
    {
        var compilation = ProjectAnalysis.Compile(references, kind, trees);
        compilation = compilation.WithOptions(((CSharpCompilationOptions)compilation.Options).WithAllowUnsafe(true));
        var experimental = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !d.Id.StartsWith("CS", StringComparison.Ordinal)
            && d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("is for evaluation purposes only", StringComparison.Ordinal)).Select(d => d.Id).Distinct().Order(StringComparer.Ordinal).ToList();
        return (compilation.WithOptions(compilation.Options.WithSpecificDiagnosticOptions(experimental.Select(id => KeyValuePair.Create(id, ReportDiagnostic.Suppress)))), experimental);
    }

    /// <summary>
    /// Several projects compiled as one assembly: an override of a protected internal member of another project is written
    /// protected, as C# asks across assemblies (CAP's SQL Server transaction overrides the core's AddToSent), and is an error
    /// within one (CS0507), so its file does not bind. Such an override is written protected internal, as the one assembly
    /// asks, on the same line; the trees changed, by the tree they replace (none when there is no such error).
    /// </summary>
    public static Dictionary<SyntaxTree, SyntaxTree> OverridesAcrossProjects(Compilation compilation)
    {
        var changes = compilation.GetDiagnostics().Where(d => d.Id == "CS0507" && d.Location.SourceTree is not null)
            .Select(d => (Tree: d.Location.SourceTree!, Member: d.Location.SourceTree!.GetRoot().FindToken(d.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<MemberDeclarationSyntax>().FirstOrDefault()))
            .Where(m => m.Member is not null && compilation.GetSemanticModel(m.Tree).GetDeclaredSymbol(m.Member) is { DeclaredAccessibility: Accessibility.Protected } symbol
                && ((symbol as IMethodSymbol)?.OverriddenMethod?.DeclaredAccessibility is Accessibility.ProtectedOrInternal
                    || (symbol as IPropertySymbol)?.OverriddenProperty?.DeclaredAccessibility is Accessibility.ProtectedOrInternal))
            .Select(m => (m.Tree, Protected: m.Member!.Modifiers.First(t => t.IsKind(SyntaxKind.ProtectedKeyword))))
            .Distinct()
            .GroupBy(m => m.Tree);
        return changes.ToDictionary(g => g.Key, g => g.Key.WithChangedText(g.Key.GetText().WithChanges(g.Select(m => new TextChange(new TextSpan(m.Protected.Span.End, 0), " internal")))));
    }

    /// <summary>
    /// Several projects compiled as one assembly: a name a project's file resolves through its usings to its own project's type
    /// can be ambiguous (CS0104) with a type of the same name in another namespace of a project it does not reference, which
    /// its build never sees: Piranha's identity project writes <c>where T : Db&lt;T&gt;</c> under <c>using Piranha;</c> and
    /// <c>using Piranha.AspNetCore.Identity;</c>, meaning its own Piranha.AspNetCore.Identity.Db&lt;T&gt;, and Piranha.Data.EF's
    /// Piranha.Db&lt;T&gt; is not referenced by it. Where exactly one of the candidates is declared in the file's own folder
    /// (of <paramref name="folders"/>) and the others in other folders of the compilation, the name is written qualified with
    /// the own candidate's namespace (global::...), on the same line; the trees changed, by the tree they replace.
    /// </summary>
    public static Dictionary<SyntaxTree, SyntaxTree> AmbiguitiesAcrossProjects(Compilation compilation, IEnumerable<string> folders)
    {
        var roots = folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f)) + "/").OrderByDescending(f => f.Length).ToList();
        string? FolderOf(string path) => roots.FirstOrDefault(r => Path.GetFullPath(path).StartsWith(r, StringComparison.Ordinal));
        var changes = compilation.GetDiagnostics().Where(d => d.Id == "CS0104" && d.Location.SourceTree is not null)
            .Select(d =>
            {
                var tree = d.Location.SourceTree!;
                var name = tree.GetRoot().FindNode(d.Location.SourceSpan, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<SimpleNameSyntax>().FirstOrDefault();
                var candidates = name is null || name.Parent is QualifiedNameSyntax { Right: var right } && right == name || name.Parent is MemberAccessExpressionSyntax { Name: var member } && member == name
                    ? []
                    : compilation.GetSemanticModel(tree).GetSymbolInfo(name).CandidateSymbols.OfType<INamedTypeSymbol>().ToList();
                var own = FolderOf(tree.FilePath);
                var mine = candidates.Where(c => c.Locations.Any(l => l.IsInSource && FolderOf(l.SourceTree!.FilePath) == own)).ToList();
                var others = candidates.Where(c => !mine.Contains(c, SymbolEqualityComparer.Default)).ToList();
                var ok = own is not null && mine.Count == 1 && others.Count > 0 && mine[0].ContainingType is null && mine[0].ContainingNamespace is { IsGlobalNamespace: false }
                    && others.All(c => c.Locations.All(l => l.IsInSource && FolderOf(l.SourceTree!.FilePath) is { } f && f != own));
                return (Tree: tree, Start: ok ? name!.SpanStart : -1, Prefix: ok ? "global::" + mine[0].ContainingNamespace.ToDisplayString() + "." : "");
            })
            .Where(c => c.Start >= 0)
            .Distinct()
            .GroupBy(c => c.Tree);
        return changes.ToDictionary(g => g.Key, g => g.Key.WithChangedText(g.Key.GetText().WithChanges(g.OrderBy(c => c.Start).Select(c => new TextChange(new TextSpan(c.Start, 0), c.Prefix)))));
    }

    /// <summary>
    /// The references less the packages whose public types clash with the tree's own: every tree compiles against all the
    /// packages of this tool, most of which its project never references, and one of those can make a name ambiguous
    /// (CS0104, CS0433), as Asp.Versioning.Http's Microsoft.AspNetCore.Http.HttpContextExtensions did beside a project's own
    /// HttpContextExtensions under a global using of that namespace, or a call ambiguous between two packages' extension
    /// methods (CS0121), as EF Core's SQL Server and Npgsql providers both declare UseHiLo in Microsoft.EntityFrameworkCore.
    /// Such a package is left out when the compilation without it has fewer errors; a package the tree uses is kept, as
    /// leaving it out costs more. Returns the packages left out.
    /// </summary>
    public static List<string> WithoutClashes(ref ImmutableArray<MetadataReference> references, ref Compilation compilation, ref List<string> experimental, OutputKind kind, SyntaxTree[] trees)
    {
        var left = new List<string>();
        var errors = compilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
        var current = compilation;
        var clashing = compilation.GetDiagnostics().Where(d => d.Id is "CS0104" or "CS0433")
            .SelectMany(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split('\'').Where((_, i) => i % 2 == 1))
            .Distinct(StringComparer.Ordinal)
            .SelectMany(n => current.GetTypesByMetadataName(n))
            .Where(t => t.Locations.All(l => l.IsInMetadata))
            .Select(t => t.ContainingAssembly)
            .Concat(AmbiguousCalls(current))
            .Select(current.GetMetadataReference)
            .OfType<MetadataReference>()
            .Distinct()
            .ToList();
        foreach (var reference in clashing)
        {
            var fewer = references.Remove(reference);
            var (without, withoutExperimental) = Compile(fewer, kind, trees);
            var withoutErrors = without.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            if (withoutErrors < errors)
            {
                (references, compilation, experimental, errors) = (fewer, without, withoutExperimental, withoutErrors);
                left.Add(Path.GetFileNameWithoutExtension((reference as PortableExecutableReference)?.FilePath) ?? reference.Display ?? "?");
            }
        }

        return left;
    }

    /// <summary>The assemblies (in metadata) declaring the candidates of the calls the compiler finds ambiguous (CS0121).</summary>
    private static IEnumerable<IAssemblySymbol> AmbiguousCalls(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Id == "CS0121" && d.Location.SourceTree is not null)
            .SelectMany(d =>
            {
                var node = d.Location.SourceTree!.GetRoot().FindNode(d.Location.SourceSpan, getInnermostNodeForTie: true);
                var model = compilation.GetSemanticModel(d.Location.SourceTree);
                var call = node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault() as SyntaxNode ?? node;
                return model.GetSymbolInfo(call).CandidateSymbols;
            })
            .Where(s => s.Locations.All(l => l.IsInMetadata))
            .Select(s => s.ContainingAssembly)
            .Distinct(SymbolEqualityComparer.Default)
            .OfType<IAssemblySymbol>();
}

internal static class LibraryReference
{
    /// <summary>
    /// A library a tree references as a package this machine does not serve, built from its published source as the
    /// assembly <paramref name="name"/> (with the SDK's implicit usings when <paramref name="usings"/> is given): its
    /// files compiled in memory against the machine's references and the libraries built before it, and emitted as a
    /// reference assembly (metadata only, as a package's ref/ assembly is: its declarations, no method bodies, so an
    /// error in a body costs nothing); the files whose declarations do not compile (a type of a package not served in a
    /// signature) left out, round after round, until the rest does. Prints what it left out.
    /// </summary>
    public static MetadataReference Build(string name, string folders, string? usings, CSharpParseOptions parse, IReadOnlyList<MetadataReference> before)
    {
        var references = WideReferences.All.Concat(before).ToImmutableArray();
        SyntaxTree[] trees = Sources.Parse(folders, parse, references, []);
        trees = usings is null ? trees : [.. trees, CSharpSyntaxTree.ParseText(usings, parse, Path.Combine(folders.Split(',')[0], "ImplicitUsings.g.cs"))];
        trees = CorpusProject.WithSdkGeneratedSources(name, OutputKind.DynamicallyLinkedLibrary, trees);
        references = WithoutHidingNamespaces(name, references, trees);
        var all = trees.Length;
        var left = new List<string>();
        ImmutableArray<byte> key = default;
        for (var round = 0; ; round++)
        {
            var (compilation, _) = Sources.Compile(references, OutputKind.DynamicallyLinkedLibrary, trees);
            compilation = compilation.WithAssemblyName(name);
            compilation = key.IsDefault ? compilation : compilation.WithOptions(((CSharpCompilationOptions)compilation.Options).WithCryptoPublicKey(key).WithPublicSign(true));
            using var image = new MemoryStream();
            var declarations = compilation.GetDeclarationDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var emitted = declarations.Count == 0 ? compilation.Emit(image, options: new EmitOptions(metadataOnly: true)) : null;
            if (emitted is { Success: true })
            {
                Console.WriteLine($"== reference {name} ({folders}): built from {trees.Length} of {all} files, referenced by the compilations after it, not analysed; left out with compile errors in their declarations: {(left.Count == 0 ? "none" : string.Join(", ", left.Order(StringComparer.Ordinal)))}");
                return MetadataReference.CreateFromImage(image.ToArray(), filePath: name + ".dll");
            }

            var errors = (emitted?.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error) ?? declarations).Where(d => d.Location.SourceTree is not null).ToList();

            // CS0281: a package this one uses grants it its internals (InternalsVisibleTo) under its signing key, which a
            // package's assembly has: built again with that public key (public-signed), instead of leaving the file out.
            if (key.IsDefault && errors.Any(d => d.Id == "CS0281") && FriendKey(compilation, name) is { IsDefault: false } friend)
            {
                key = friend;
                continue;
            }

            var broken = errors.Select(d => d.Location.SourceTree!).ToHashSet();
            if (broken.Count == 0 || round == 20)
            {
                throw new InvalidOperationException($"{name} does not compile: {(emitted?.Diagnostics ?? [.. declarations]).First(d => d.Severity == DiagnosticSeverity.Error)}");
            }

            // Each file with its first error (in a stable order), so that what is missing can be read.
            left.AddRange(errors.GroupBy(d => d.Location.SourceTree!).Select(g => g.OrderBy(d => d.Location.SourceSpan.Start).First())
                .Select(d => $"{Path.GetRelativePath(Path.GetDirectoryName(folders.Split(',')[0])!, d.Location.SourceTree!.FilePath)} ({d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)})"));
            trees = trees.Where(t => !broken.Contains(t)).ToArray();
        }
    }

    /// <summary>
    /// The library's references without the assemblies whose namespace hides one its files name: `using Azure.Core;` written
    /// inside `namespace Microsoft.Marketplace.SaaS` binds Azure to Microsoft.Azure when an assembly referenced here declares
    /// Microsoft.Azure.Cosmos, and is an error (CS0234, "'Core' does not exist in the namespace 'Microsoft.Azure'") that the
    /// library's build, which references none of them, does not have. The assemblies declaring that namespace, none of the
    /// library's own, are left out when that takes errors away.
    /// </summary>
    private static ImmutableArray<MetadataReference> WithoutHidingNamespaces(string name, ImmutableArray<MetadataReference> references, SyntaxTree[] trees)
    {
        var (compilation, _) = Sources.Compile(references, OutputKind.DynamicallyLinkedLibrary, trees);
        var errors = compilation.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
        var hiding = compilation.GetDiagnostics().Where(d => d.Id == "CS0234")
            .Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split('\'') is [_, _, _, var ns, ..] ? ns : null).OfType<string>()
            .Distinct(StringComparer.Ordinal).ToList();
        foreach (var ns in hiding)
        {
            var symbol = ns.Split('.').Aggregate((INamespaceSymbol?)compilation.GlobalNamespace, (n, part) => n?.GetNamespaceMembers().FirstOrDefault(m => m.Name == part));
            if (symbol is null || symbol.ConstituentNamespaces.Any(c => c.ContainingAssembly is { } a && SymbolEqualityComparer.Default.Equals(a, compilation.Assembly)))
            {
                continue;
            }

            var declaring = symbol.ConstituentNamespaces.Select(c => c.ContainingAssembly).OfType<IAssemblySymbol>()
                .Select(compilation.GetMetadataReference).OfType<MetadataReference>().Distinct().ToList();
            var fewer = references.RemoveRange(declaring);
            var (without, _) = Sources.Compile(fewer, OutputKind.DynamicallyLinkedLibrary, trees);
            var withoutErrors = without.GetDiagnostics().Count(d => d.Severity == DiagnosticSeverity.Error);
            if (withoutErrors < errors)
            {
                Console.WriteLine($"== reference {name}: left out of its references, their namespace {ns} hiding one its files name: {string.Join(", ", declaring.Select(r => Path.GetFileNameWithoutExtension((r as PortableExecutableReference)?.FilePath) ?? r.Display ?? "?").Order(StringComparer.Ordinal))}");
                (references, compilation, errors) = (fewer, without, withoutErrors);
            }
        }

        return references;
    }

    /// <summary>The public key under which a referenced assembly's InternalsVisibleTo grants <paramref name="name"/> its internals; default when none does.</summary>
    private static ImmutableArray<byte> FriendKey(Compilation compilation, string name) =>
        compilation.References.Select(compilation.GetAssemblyOrModuleSymbol).OfType<IAssemblySymbol>()
            .SelectMany(a => a.GetAttributes()).Where(a => a.AttributeClass?.Name == "InternalsVisibleToAttribute")
            .Select(a => a.ConstructorArguments.FirstOrDefault().Value as string).OfType<string>()
            .Select(grant => grant.Split(',', 2) is [var friend, var rest] && friend.Trim() == name && rest.Trim().StartsWith("PublicKey=", StringComparison.OrdinalIgnoreCase)
                ? Convert.FromHexString(rest.Trim()["PublicKey=".Length..]).ToImmutableArray() : default)
            .FirstOrDefault(k => !k.IsDefault);
}

internal static class WideReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyAll = new(() =>
        CorpusReferences.All.Where(r => OptIn(r) is null).ToImmutableArray().AddRange(Directory.EnumerateFiles(AppContext.BaseDirectory, "NuGet.*.dll")
            .Append(Path.Combine(AppContext.BaseDirectory, "DiffPlex.dll")).Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))));

    /// <summary>
    /// What every tree compiles against: the corpus test's references and the NuGet client's assemblies, which the corpus
    /// test leaves out as its own (the testing library restores reference packages with them) but a tree may reference as a
    /// package (BaGetter's upstream clients and package readers: NuGet.Protocol, NuGet.Packaging, NuGet.Versioning); DiffPlex
    /// likewise, which the corpus test leaves out as its test framework's and Memorizer references as a package (its version diffs).
    /// </summary>
    public static ImmutableArray<MetadataReference> All => LazyAll.Value;

    // Packages whose types would clash with what other trees compile against: Microsoft.AspNetCore.Mvc.Versioning (and its API
    // explorer) declares ApiVersionAttribute in Microsoft.AspNetCore.Mvc, ambiguous (CS0104) beside Asp.Versioning's in a file that
    // imports both namespaces. Left out of All, and referenced only by a compilation one of whose folders' .csproj files names it.
    private static readonly string[] OptInPackages = ["Microsoft.AspNetCore.Mvc.Versioning"];

    private static string? OptIn(MetadataReference reference) =>
        Path.GetFileNameWithoutExtension((reference as PortableExecutableReference)?.FilePath) is { } file
            ? OptInPackages.FirstOrDefault(p => file == p || file.StartsWith(p + ".", StringComparison.Ordinal))
            : null;

    /// <summary>The opt-in packages' assemblies a compilation of these folders references (see <see cref="OptInPackages"/>).</summary>
    public static IEnumerable<MetadataReference> OptedIn(string folders)
    {
        var named = Sources.Folders(folders)
            .SelectMany(f => Directory.Exists(f) ? Directory.EnumerateFiles(f, "*.csproj") : [])
            .Select(File.ReadAllText)
            .ToArray();
        return CorpusReferences.All.Where(r => OptIn(r) is { } p && named.Any(text => text.Contains($"\"{p}\"", StringComparison.Ordinal)));
    }
}
