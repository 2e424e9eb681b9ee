namespace TracedLlm.CodeFixes;

/// <summary>A name for a local a fix declares, free where it goes and beside the same Fix All's locals.</summary>
internal static class FreeNames
{
    /// <summary><paramref name="stem"/>, then <c>stem2</c>, <c>stem3</c>...: the first name free at
    /// <paramref name="position"/>.</summary>
    /// <remarks>
    /// No symbol in scope there has it, nothing declared inside <paramref name="scope"/> (CS0136), nor any of
    /// <paramref name="alsoTaken"/>: what the earlier fixes of the same Fix All name locals whose scope meets this one.
    /// </remarks>
    public static string Find(SemanticModel model, int position, SyntaxNode scope, string stem,
        IEnumerable<string> alsoTaken)
    {
        var taken = new HashSet<string>(model.LookupSymbols(position).Select(s => s.Name));
        taken.UnionWith(Declared(scope));
        taken.UnionWith(alsoTaken);
        for (var i = 1; ; i++)
        {
            var name = i == 1 ? stem : stem + i;
            if (!taken.Contains(name))
            {
                return name;
            }
        }
    }

    /// <summary>The names declared in <paramref name="scope"/>: locals, parameters, pattern variables...</summary>
    private static IEnumerable<string> Declared(SyntaxNode scope) =>
        scope.DescendantNodesAndSelf().Select(node => node switch
        {
            VariableDeclaratorSyntax variable => variable.Identifier.ValueText,
            SingleVariableDesignationSyntax designation => designation.Identifier.ValueText,
            ForEachStatementSyntax loop => loop.Identifier.ValueText,
            CatchDeclarationSyntax @catch => @catch.Identifier.ValueText,
            ParameterSyntax parameter => parameter.Identifier.ValueText,
            LocalFunctionStatementSyntax function => function.Identifier.ValueText,
            FromClauseSyntax from => from.Identifier.ValueText,
            LetClauseSyntax let => let.Identifier.ValueText,
            JoinClauseSyntax join => join.Identifier.ValueText,
            JoinIntoClauseSyntax into => into.Identifier.ValueText,
            QueryContinuationSyntax continuation => continuation.Identifier.ValueText,
            _ => string.Empty,
        }).Where(name => name.Length > 0);
}
