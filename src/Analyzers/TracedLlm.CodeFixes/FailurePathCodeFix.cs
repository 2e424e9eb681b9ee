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

    internal override async Task<IReadOnlyList<SyntaxEdit>> EditsAsync(Document document, SyntaxNode root,
        Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model is null
            || !diagnostic.Properties.TryGetValue(DiagnosticIds.AcceptedTypeProperty, out var acceptedName)
            || acceptedName is null || model.Compilation.GetTypeByMetadataName(acceptedName) is not { } accepted
            || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not { } node
            || ThrownType(node, model, cancellationToken) is not { } type
            || !type.Locations.Any(l => l.IsInSource)
            || DerivesFrom(accepted, type)) // CS0146: the hierarchy would be circular
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

        return thrown is null ? null : model.GetTypeInfo(thrown, cancellationToken).Type as INamedTypeSymbol;
    }

    /// <summary>Every constructor of the type calls a constructor the new base has.</summary>
    private static bool ConstructorsFit(INamedTypeSymbol type, TypeDeclarationSyntax declaration,
        INamedTypeSymbol newBase, SemanticModel model, CancellationToken cancellationToken)
    {
        var compilation = model.Compilation;
        var primary = declaration.BaseList!.Types[0] as PrimaryConstructorBaseTypeSyntax;
        var calls = new List<IReadOnlyList<ITypeSymbol?>>();
        if (primary is not null)
        {
            calls.Add(primary.ArgumentList.Arguments
                .Select(a => model.GetTypeInfo(a.Expression, cancellationToken).Type).ToList());
        }

        foreach (var syntax in type.InstanceConstructors.SelectMany(c => c.DeclaringSyntaxReferences)
                .Select(reference => reference.GetSyntax(cancellationToken)).OfType<ConstructorDeclarationSyntax>())
        {
            if (syntax.Initializer is { RawKind: (int)SyntaxKind.BaseConstructorInitializer } initializer)
            {
                var initializerModel = compilation.GetSemanticModel(syntax.SyntaxTree);
                calls.Add(initializer.ArgumentList.Arguments
                    .Select(a => initializerModel.GetTypeInfo(a.Expression, cancellationToken).Type).ToList());
            }
            else if (syntax.Initializer is null && (declaration.ParameterList is null || primary is null))
            {
                calls.Add(new List<ITypeSymbol?>());
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
