using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.Analyzers.Tests.Metamorphic;

/// <summary>
/// Behaviour-preserving rewrites of a source file. The "value" rewrites move one string literal
/// of a method body (a slot name first, else the first literal: a key, a span name, a URL, a
/// message) somewhere else C# carries the same value: a local, a local reassigned the same value on
/// a branch never taken, a method, a lambda, a local function, a delegate field, a tuple, a record,
/// a primary constructor, a generic method, a static abstract interface member. The others rename
/// every local and reorder every type's methods. Each returns null where it does not apply.
/// </summary>
internal static class Variants
{
    private const string Suffix = "Metamorphic";

    public static readonly (
        string Name,
        Func<CompilationUnitSyntax, SemanticModel, CompilationUnitSyntax?> Rewrite
    )[] All =
    {
        ("rename locals", (root, model) => RenameLocals(root, model)),
        ("reorder methods", (root, _) => ReorderMethods(root)),
        ("extract local", (root, _) => InStatement(root, (literal, name) => ($"var {name} = {literal};", name))),
        ("reassign on a dead branch",
            (root, _) =>
                InStatement(
                    root,
                    (literal, name) =>
                        ($"var {name} = {literal}; if ({name}.Length < 0) {{ {name} = {literal}; }}", name))),
        ("local function",
            (root, _) => InStatement(root, (literal, name) => ($"string {name}() => {literal};", $"{name}()"))),
        ("extract method",
            (root, _) =>
                InMember(root, (literal, name) => ($"private static string {name}() => {literal};", $"{name}()"))),
        ("delegate field",
            (root, _) =>
                InMember(
                    root,
                    (literal, name) =>
                        ($"private static readonly System.Func<string> {name} = () => {literal};", $"{name}()"))),
        ("lambda", (root, _) => InPlace(root, literal => $"((System.Func<string>)(() => {literal}))()")),
        ("tuple", (root, _) => InPlace(root, literal => $"({literal}, 0).Item1")),
        ("record",
            (root, _) =>
                InType(
                    root,
                    (literal, name) => ($"internal sealed record {name}(string Value);", $"new {name}({literal}).Value")
                )),
        ("primary constructor",
            (root, _) =>
                InType(
                    root,
                    (literal, name) =>
                        ($"internal sealed class {name}(string value) {{ public string Get() => value; }}",
                            $"new {name}({literal}).Get()"))),
        ("generic",
            (root, _) =>
                InType(
                    root,
                    (literal, name) =>
                        ($"internal static class {name} {{ public static T Of<T>(T value) => value; }}",
                            $"{name}.Of<string>({literal})"))),
        ("static abstract member",
            (root, _) =>
                InType(
                    root,
                    (literal, name) =>
                        (
                            $"internal interface I{name} {{ static abstract string Value {{ get; "
                            + $"}} }} internal sealed class {name}Value : I{name} {{ public static string Value => "
                            + $"{literal}; }} internal static class {name} {{ public static string Get<T>() where T : "
                            + $"I{name} => T.Value; }}",
                            $"{name}.Get<{name}Value>()"))),
    };

    /// <summary>
    /// The literal a value rewrite moves: a slot name when the file has one in a method body, else the first literal
    /// there.
    /// </summary>
    private static LiteralExpressionSyntax? Target(CompilationUnitSyntax root)
    {
        var literals = root.DescendantNodes().OfType<LiteralExpressionSyntax>().Where(IsMovable).ToList();
        return literals.FirstOrDefault(l => l.Token.ValueText is "metadata" or "litellm_metadata")
            ?? literals.FirstOrDefault();
    }

    private static bool IsMovable(LiteralExpressionSyntax literal)
    {
        if (!literal.IsKind(SyntaxKind.StringLiteralExpression)
            || literal.Token.IsKind(SyntaxKind.Utf8StringLiteralToken))
        {
            return false;
        }

        for (SyntaxNode? node = literal.Parent; node is not null; node = node.Parent)
        {
            switch (node)
            {
                case AttributeSyntax
                or ConstantPatternSyntax
                or CaseSwitchLabelSyntax
                or ParameterSyntax
                or InterpolationSyntax
                or SwitchExpressionArmSyntax { }
                    when !(node is SwitchExpressionArmSyntax arm && arm.Expression.Span.Contains(literal.Span)):
                    return false;
                case LocalDeclarationStatementSyntax local when local.IsConst:
                    return false;
                case FieldDeclarationSyntax:
                case BaseNamespaceDeclarationSyntax:
                    return false;
                case BlockSyntax
                or ArrowExpressionClauseSyntax
                    when node.Parent is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
                        or AccessorDeclarationSyntax or AnonymousFunctionExpressionSyntax:
                    return !IsInNameof(literal);
            }
        }

        return false;
    }

    private static bool IsInNameof(SyntaxNode node) =>
        node.Ancestors()
            .OfType<InvocationExpressionSyntax>()
            .Any(i => i.Expression is IdentifierNameSyntax { Identifier.ValueText: "nameof" });

    /// <summary>Replaces the literal with an expression.</summary>
    private static CompilationUnitSyntax? InPlace(CompilationUnitSyntax root, Func<string, string> expression) =>
        Target(root) is { } literal ? root.ReplaceNode(literal, Parse(expression(literal.ToString()))) : null;

    /// <summary>
    /// Declares something in a statement before the literal's statement, and uses it in place of the literal.
    /// </summary>
    private static CompilationUnitSyntax? InStatement(
        CompilationUnitSyntax root,
        Func<string, string, (string Statements, string Use)> rewrite)
    {
        if (Target(root) is not { } literal
            || literal.Ancestors().OfType<StatementSyntax>().FirstOrDefault(s => s.Parent is BlockSyntax)
                is not { } statement)
        {
            return null;
        }

        var (statements, use) = rewrite(literal.ToString(), "value" + Suffix);
        var block = (BlockSyntax)statement.Parent!;
        var added = SyntaxFactory.ParseStatement("{" + statements + "}") is BlockSyntax parsed
            ? parsed.Statements
            : default;
        var replaced = statement.ReplaceNode(literal, Parse(use));
        var statementsOfBlock = block.Statements.ReplaceRange(statement, added.Add(replaced));
        return root.ReplaceNode(block, block.WithStatements(statementsOfBlock));
    }

    /// <summary>Adds a member to the literal's type, and uses it in place of the literal.</summary>
    private static CompilationUnitSyntax? InMember(
        CompilationUnitSyntax root,
        Func<string, string, (string Member, string Use)> rewrite)
    {
        if (Target(root) is not { } literal
            || literal.Ancestors().OfType<TypeDeclarationSyntax>().FirstOrDefault() is not { } type
            || type is InterfaceDeclarationSyntax)
        {
            return null;
        }

        var (member, use) = rewrite(literal.ToString(), "Value" + Suffix);
        var rewritten = type.ReplaceNode(literal, Parse(use));
        return root.ReplaceNode(type, rewritten.AddMembers(SyntaxFactory.ParseMemberDeclaration(member)!));
    }

    /// <summary>Adds types beside the file's own, and uses them in place of the literal.</summary>
    private static CompilationUnitSyntax? InType(
        CompilationUnitSyntax root,
        Func<string, string, (string Types, string Use)> rewrite)
    {
        if (Target(root) is not { } literal)
        {
            return null;
        }

        var (types, use) = rewrite(literal.ToString(), "Holder" + Suffix);
        var rewritten = root.ReplaceNode(literal, Parse(use));
        var members = SyntaxFactory.ParseCompilationUnit(types).Members;
        return rewritten.Members.OfType<FileScopedNamespaceDeclarationSyntax>().FirstOrDefault() is { } ns
            ? rewritten.ReplaceNode(ns, ns.AddMembers(members.ToArray()))
            : rewritten.AddMembers(members.ToArray());
    }

    private static ExpressionSyntax Parse(string expression) =>
        SyntaxFactory
            .ParseExpression(expression)
            .WithAdditionalAnnotations(Microsoft.CodeAnalysis.Formatting.Formatter.Annotation);

    /// <summary>
    /// Every local (declared, a foreach variable, a catch variable, a pattern's) gets another name, at its declaration
    /// and every use.
    /// </summary>
    private static CompilationUnitSyntax? RenameLocals(CompilationUnitSyntax root, SemanticModel model)
    {
        var locals = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var node in root.DescendantNodes())
        {
            if (node is VariableDeclaratorSyntax or ForEachStatementSyntax or CatchDeclarationSyntax
                or SingleVariableDesignationSyntax
                && model.GetDeclaredSymbol(node) is ILocalSymbol local)
            {
                locals.Add(local);
            }
        }

        if (locals.Count == 0)
        {
            return null;
        }

        var renamed = root.ReplaceTokens(
            root.DescendantTokens()
                .Where(token => token.IsKind(SyntaxKind.IdentifierToken) && IsLocal(token, model, locals)),
            (token, _) => SyntaxFactory.Identifier(token.LeadingTrivia, token.ValueText + Suffix, token.TrailingTrivia)
        );
        return renamed;
    }

    private static bool IsLocal(SyntaxToken token, SemanticModel model, HashSet<ISymbol> locals)
    {
        var node = token.Parent;
        var symbol = node switch
        {
            IdentifierNameSyntax name => model.GetSymbolInfo(name).Symbol,
            VariableDeclaratorSyntax
            or ForEachStatementSyntax
            or CatchDeclarationSyntax
            or SingleVariableDesignationSyntax => model.GetDeclaredSymbol(node),
            _ => null,
        };
        return symbol is not null && locals.Contains(symbol);
    }

    /// <summary>Every type's methods in the reverse order, everything else where it was.</summary>
    private static CompilationUnitSyntax? ReorderMethods(CompilationUnitSyntax root)
    {
        var types = root.DescendantNodes()
            .OfType<TypeDeclarationSyntax>()
            .Where(t => t.Members.OfType<MethodDeclarationSyntax>().Count() > 1)
            .ToList();
        if (types.Count == 0)
        {
            return null;
        }

        return root.ReplaceNodes(
            types,
            (original, _) =>
            {
                var methods = new Queue<MemberDeclarationSyntax>(
                    original.Members.OfType<MethodDeclarationSyntax>().Reverse());
                return original.WithMembers(
                    SyntaxFactory.List(
                        original.Members.Select(m => m is MethodDeclarationSyntax ? methods.Dequeue() : m)));
            });
    }
}
