using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TracedLlm.Generators;

/// <summary>
/// Emits the traced request pipeline of every <c>[TracedLlmRoute]</c> handler, and
/// <c>MapTracedLlmRoutes()</c> with the route → metadata-slot table.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class TracedLlmRouteGenerator : IIncrementalGenerator
{
    private const string RuntimeMarkerMetadataName = "TracedLlm.TracedLlmRouteBuilder";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var routes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                HandlerBinding.AttributeMetadataName,
                // Lambdas and local functions too, only to say they cannot be routes (the attribute's
                // usage allows them; silence would leave the route untraced, or unmapped).
                static (node, _) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax
                    or AnonymousFunctionExpressionSyntax,
                static (syntaxContext, cancellationToken) => Parser.Parse(syntaxContext, cancellationToken))
            .WithTrackingName(TrackingNames.Routes);

        var models = routes
            .Where(static result => result.Route.HasValue)
            .Select(static (result, _) => result.Route!.Value)
            .WithTrackingName(TrackingNames.Models);

        var diagnostics = routes
            .SelectMany(static (result, _) => result.Diagnostics)
            .WithTrackingName(TrackingNames.Diagnostics);

        var keys = routes
            .Where(static result => result.Key.HasValue)
            .Select(static (result, _) => result.Key!.Value)
            .Collect()
            .WithTrackingName(TrackingNames.RouteKeys);

        var runtimeReferenced = context.CompilationProvider
            .Select(static (compilation, _) => compilation.GetTypeByMetadataName(RuntimeMarkerMetadataName) is not null)
            .WithTrackingName(TrackingNames.RuntimeReferenced);

        var table = models
            .Select(static (route, _) => new RouteTableEntry(
                route.GeneratedClassName,
                route.HttpMethod,
                route.Pattern,
                route.MetadataSlot,
                route.ErrorFormat,
                route.Operation,
                route.HandlerDisplayName,
                route.HandlerMethodName,
                route.StreamMethodName,
                TelemetryManifest.Streaming(route),
                route.Parameters,
                route.StreamParameters,
                route.SharedSlot,
                route.Mvc))
            .Collect()
            .Select(static (entries, _) => entries.ToEquatableArray())
            .Combine(runtimeReferenced)
            .WithTrackingName(TrackingNames.RouteTable);

        // Opt-in: only a project that tracks TracedLlm.Telemetry.txt (an additional file) is checked.
        var trackedContract = context.AdditionalTextsProvider
            .Where(static text =>
                string.Equals(
                    System.IO.Path.GetFileName(text.Path),
                    TelemetryContract.FileName,
                    System.StringComparison.OrdinalIgnoreCase))
            .Select(
                static (text, cancellationToken) =>
                    new TrackedContract(text.Path, text.GetText(cancellationToken)?.ToString() ?? string.Empty))
            .Collect()
            .Select(static (files, _) => files.IsEmpty ? (TrackedContract?)null : files[0])
            .WithTrackingName(TrackingNames.TrackedContract);

        var contractDrift = keys
            .Combine(trackedContract)
            .Select(static (pair, _) => TelemetryContract.Check(pair.Left.ToEquatableArray(), pair.Right))
            .WithTrackingName(TrackingNames.ContractDrift);

        context.RegisterSourceOutput(contractDrift, static (output, drifts) =>
        {
            foreach (var drift in drifts)
            {
                output.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.TelemetryContractDrift,
                    drift.Location.ToLocation(),
                    System.Collections.Immutable.ImmutableDictionary<string, string?>.Empty
                        .Add(DiagnosticIds.ContractPathProperty, drift.Path)
                        .Add(DiagnosticIds.ContractHeaderProperty, TelemetryContract.Header)
                        .Add(DiagnosticIds.ContractRouteProperty, drift.Route)
                        .Add(DiagnosticIds.ContractBlockProperty, drift.Block)
                        .Add(DiagnosticIds.ContractStaleRoutesProperty, drift.StaleRoutes),
                    drift.Route,
                    TelemetryContract.FileName,
                    drift.Differences));
            }
        });

        context.RegisterSourceOutput(models, static (output, route) =>
            output.AddSource(route.HintName, Emitter.EmitRoute(route)));

        context.RegisterSourceOutput(table, static (output, entries) =>
        {
            if (entries.Right)
            {
                output.AddSource("TracedLlmRoutes.g.cs", Emitter.EmitRouteTable(entries.Left));
            }
        });

        context.RegisterSourceOutput(diagnostics, static (output, diagnostic) =>
            output.ReportDiagnostic(diagnostic.ToDiagnostic()));

        context.RegisterSourceOutput(keys, static (output, routeKeys) =>
        {
            // Every handler of a colliding method and path is reported, naming the others: the one
            // just added is among them, whichever file it is in.
            foreach (var group in routeKeys.GroupBy(k => (k.HttpMethod, k.Pattern)).Where(g => g.Count() > 1))
            {
                foreach (var key in group)
                {
                    var others = string.Join(
                        ", ", group.Where(o => !o.Equals(key)).Select(o => $"'{o.HandlerDisplayName}'"));
                    output.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.DuplicateRoute,
                        key.Location.ToLocation(),
                        key.HandlerDisplayName,
                        key.HttpMethod,
                        key.Pattern,
                        others));
                }
            }
        });
    }
}
