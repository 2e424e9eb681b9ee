using System.Composition;
using Microsoft.CodeAnalysis.Simplification;

namespace TracedLlm.CodeFixes;

/// <summary>TLLM2002: derives the thrown type, when declared in source, from a type the failure filter
/// accepts.</summary>
/// <remarks>The base type's arguments stay; offered only when every constructor still finds one in the new base, and
/// never when the hierarchy would be circular.</remarks>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FailurePathCodeFix)), Shared]
public sealed class FailurePathCodeFix() : TracedLlmCodeFix(DiagnosticIds.FailurePathEscape)
{
    internal const string EquivalenceKey = DiagnosticIds.FailurePathEscape + ".DeriveFromAccepted";

    private protected override async Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null
            || !diagnostic.Properties.TryGetValue(DiagnosticIds.AcceptedTypeProperty, out var acceptedName)
            || acceptedName is null || model.Compilation.GetTypeByMetadataName(acceptedName) is not { } accepted
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
            || ThrownType(node, model, cancellationToken) is not { } type
            || !type.Locations.Any(l => l.IsInSource)
            || DerivesFrom(accepted, type))
        {
            return Array.Empty<SyntaxEdit>();
        }

        var solution = document.Project.Solution;
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false)
                    is not TypeDeclarationSyntax { BaseList.Types: { Count: > 0 } types } declaration
                || solution.GetDocument(reference.SyntaxTree) is not { } declaringDocument
                || await declaringDocument.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false)
                    is not { } declaringModel
                || declaringModel.GetTypeInfo(types[0].Type, cancellationToken).Type is not { TypeKind: TypeKind.Class }
            )
            {
                continue;
            }

            if (!ConstructorsFit(type, declaration, accepted, declaringModel, cancellationToken))
            {
                return Array.Empty<SyntaxEdit>();
            }

            var name = accepted.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return new[]
            {
                new SyntaxEdit(
                    $"Derive '{type.Name}' from '{accepted.Name}'", EquivalenceKey, declaringDocument.Id, types[0],
                    baseType =>
                {
                    var newType = SyntaxFactory.ParseTypeName(name).WithAdditionalAnnotations(Simplifier.Annotation)
                        .WithTriviaFrom(((BaseTypeSyntax)baseType).Type);
                    return baseType switch
                    {
                        PrimaryConstructorBaseTypeSyntax primary => primary.WithType(newType),
                        SimpleBaseTypeSyntax simple => simple.WithType(newType),
                        _ => baseType,
                    };
                }),
            };
        }

        return Array.Empty<SyntaxEdit>();
    }

    /// <summary>Whether <paramref name="type"/> is <paramref name="ancestor"/> or derives from it (CS0146).</summary>
    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol ancestor)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, ancestor.OriginalDefinition))
            {
                return true;
            }
        }

        return false;
    }

    private static INamedTypeSymbol? ThrownType(SyntaxNode node, SemanticModel model,
        CancellationToken cancellationToken)
    {
        var thrown = node.FirstAncestorOrSelf<SyntaxNode>(n =>
            n is ThrowStatementSyntax or ThrowExpressionSyntax or InvocationExpressionSyntax
        ) switch
        {
            ThrowStatementSyntax statement => statement.Expression,
            ThrowExpressionSyntax expression => expression.Expression,
            InvocationExpressionSyntax invocation => invocation.ArgumentList.Arguments.FirstOrDefault()?.Expression,
            _ => null,
        };

        if (thrown is IdentifierNameSyntax && model.GetSymbolInfo(thrown, cancellationToken).Symbol is ILocalSymbol)
        {
            // Thrown through a local: the type of what was created into it.
            return model.GetTypeInfo(thrown, cancellationToken).Type as INamedTypeSymbol;
        }

        return thrown is null ? null : model.GetTypeInfo(thrown, cancellationToken).Type as INamedTypeSymbol;
    }

    /// <summary>Every constructor of the type calls a constructor the new base has.</summary>
    private static bool ConstructorsFit(INamedTypeSymbol type, TypeDeclarationSyntax declaration,
        INamedTypeSymbol newBase, SemanticModel model, CancellationToken cancellationToken)
    {
        var compilation = model.Compilation;
        var calls = new List<IReadOnlyList<ITypeSymbol?>>();
        if (declaration.BaseList!.Types[0] is PrimaryConstructorBaseTypeSyntax primary)
        {
            calls.Add(
                primary.ArgumentList.Arguments.Select(a => model.GetTypeInfo(a.Expression, cancellationToken).Type)
                    .ToList());
        }

        foreach (var constructor in type.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is not ConstructorDeclarationSyntax syntax)
                {
                    continue;
                }

                if (syntax.Initializer is { } initializer)
                {
                    if (initializer.IsKind(SyntaxKind.BaseConstructorInitializer))
                    {
                        var initializerModel = compilation.GetSemanticModel(syntax.SyntaxTree);
                        calls.Add(initializer.ArgumentList
                                .Arguments.Select(a =>
                                    initializerModel.GetTypeInfo(a.Expression, cancellationToken).Type)
                                .ToList());
                    }
                }
                else if (!(
                        declaration.ParameterList is not null
                        && declaration.BaseList.Types[0] is PrimaryConstructorBaseTypeSyntax))
                {
                    calls.Add(new List<ITypeSymbol?>());
                }
            }
        }

        if (type.InstanceConstructors.All(c => c.IsImplicitlyDeclared) && declaration.ParameterList is null)
        {
            calls.Add(new List<ITypeSymbol?>());
        }

        return calls.All(arguments => newBase.InstanceConstructors.Any(candidate =>
                candidate.DeclaredAccessibility
                    is Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal
                        or Accessibility.Internal
                && arguments.Count <= candidate.Parameters.Length
                && candidate.Parameters.Skip(arguments.Count).All(p => p.IsOptional || p.IsParams)
                && arguments
                    .Select((argument, i) => argument is null
                            || compilation.ClassifyConversion(argument, candidate.Parameters[i].Type).IsImplicit)
                    .All(fits => fits)));
    }
}
