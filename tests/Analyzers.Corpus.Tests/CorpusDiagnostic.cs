using System.Linq;
using Microsoft.CodeAnalysis;

namespace TracedLlm.Analyzers.Corpus.Tests;

/// <summary>
/// A TLLM diagnostic on the corpus as the verdict file anchors it: the rule, the file, the member
/// it is in and the text of its line, which move with the code rather than with line numbers.
/// </summary>
internal sealed record CorpusDiagnostic(
    string Project,
    string Id,
    string File,
    int Line,
    string Member,
    string LineText,
    string Message)
{
    public static CorpusDiagnostic From(string project, Compilation compilation, Diagnostic diagnostic)
    {
        var location = diagnostic.Location;
        var tree = location.SourceTree!;
        var span = location.GetLineSpan();
        var text = tree.GetText().Lines[span.StartLinePosition.Line].ToString().Trim();
        var member = compilation.GetSemanticModel(tree).GetEnclosingSymbol(location.SourceSpan.Start);
        return new(
            project,
            diagnostic.Id,
            CorpusProject.RelativePath(tree.FilePath),
            span.StartLinePosition.Line + 1,
            MemberName(member),
            text,
            diagnostic.GetMessage());
    }

    public override string ToString() => $"{Id} {File}:{Line} in {Member}: `{LineText}` ({Message})";

    // The type member (method, property, constructor...) around the location, whatever lambdas or local functions it is
    // in.
    private static string MemberName(ISymbol? symbol)
    {
        while (symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction })
        {
            symbol = symbol.ContainingSymbol;
        }

        if (symbol is IMethodSymbol { AssociatedSymbol: { } property })
        {
            symbol = property;
        }

        return symbol switch
        {
            null => "?",
            INamedTypeSymbol type => type.Name,
            _ when symbol.ContainingType is { } type => $"{string.Join(".", ContainingTypes(type))}.{symbol.Name}",
            _ => symbol.Name,
        };
    }

    private static string[] ContainingTypes(INamedTypeSymbol type)
    {
        var names = new System.Collections.Generic.List<string>();
        for (var current = type; current is not null; current = current.ContainingType)
        {
            names.Add(current.Name);
        }

        names.Reverse();
        return names.ToArray();
    }
}
