using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TracedLlm.Analyzers.Facts;

namespace TracedLlm.Analyzers.Tests.Stress;

/// <summary>
/// Every piece of state the analyzers share across callbacks, asked for by many threads released
/// at the same instant, as the operation blocks of a compilation ask for it on a machine with many
/// cores: built once or built alike, never a crash, and every thread gets the same answer. A
/// two-core machine rarely lines up two callbacks on the same cache entry; a barrier does, every
/// round, on new syntax trees (the static caches are keyed by tree).
/// </summary>
public sealed class SharedFactsRaceTests
{
    private const int Threads = 8;

    private const int Rounds = 40;

    // A failure filter that decides through another method: its predicate is read lazily, while throws are checked.
    private const string Filter = Corpus.Header + """
        internal static class ProxyUtils
        {
            [FailureLoggingPath]
            public static bool ShouldLog(Exception exception) =>
                IsUpstream(exception) || exception is OperationCanceledException;

            private static bool IsUpstream(Exception exception) => exception is HttpException;
        }

        internal sealed class Logger : ILlmFailureLogger
        {
            public ValueTask LogFailureAsync(FailureContext failure) => ValueTask.CompletedTask;
        }

        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request) =>
                request.Model is null ? throw new InvalidOperationException("model") : new Reply();

            [TracedLlmRoute("POST", "/v1/messages")]
            public static Reply Messages(MessagesRequest request) => new();
        }

        internal sealed class Guard : ILlmGuardrail
        {
            public string Name => "guard";
            public GuardrailMode Modes => GuardrailMode.PreCall;
            public ValueTask<GuardrailVerdict> CheckAsync(GuardrailContext context,
                CancellationToken cancellationToken) => ValueTask.FromResult(GuardrailVerdict.Allow);
        }
        """;

    [Fact]
    public void TheFailureFilterTableIsBuiltAlikeByThreadsThatAskAtOnce()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (compilation, facts) = Fresh();
            var filterMethods = facts.FilterMethods(CancellationToken.None);
            var tables = AtOnce(() =>
                FailureFilters.Build(compilation, facts.Types, filterMethods, CancellationToken.None));

            Assert.All(tables, table => Assert.Equal(
                tables[0].Filters.Select(f => f.Location.ToString()),
                table.Filters.Select(f => f.Location.ToString())));
            Assert.Single(tables[0].Filters);
        }
    }

    [Fact]
    public void AFiltersPredicateReadWhileThrowsAreCheckedGivesEveryThreadTheSameVerdict()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (compilation, facts) = Fresh();
            var table = FailureFilters.Build(
                compilation,
                facts.Types,
                facts.FilterMethods(CancellationToken.None),
                CancellationToken.None);
            var thrown = new ThrowSite(
                compilation.GetTypeByMetadataName("System.InvalidOperationException")!,
                Exact: true,
                Location.None);
            var accepted = new ThrowSite(
                compilation.GetTypeByMetadataName("Contoso.HttpException")!,
                Exact: true,
                Location.None);

            var verdicts = AtOnce(() =>
                (Rejected: table.Rejecting(thrown)?.Location.ToString(),
                    Accepted: table.Rejecting(accepted)?.Location.ToString()));

            Assert.All(verdicts, verdict => Assert.NotNull(verdict.Rejected));
            Assert.All(verdicts, verdict => Assert.Null(verdict.Accepted));
        }
    }

    [Fact]
    public void TheCompilationsDeclaredFactsAreTheSameForThreadsThatAskAtOnce()
    {
        for (var round = 0; round < Rounds; round++)
        {
            var (compilation, facts) = Fresh();
            var chat = compilation.GetTypeByMetadataName("Contoso.Routes")!.GetMembers("Chat").Single();
            var check = compilation.GetTypeByMetadataName("Contoso.Guard")!.GetMembers("CheckAsync").Single();

            var answers = AtOnce(() => string.Join(
                " | ",
                string.Join(",", facts.SlotNames(CancellationToken.None).OrderBy(s => s, StringComparer.Ordinal)),
                string.Join(",", facts.Routes(CancellationToken.None).Select(r => r.Display)),
                string.Join(",", facts.FilterMethods(CancellationToken.None).Select(m => m.Name)),
                facts.IsRoot(chat, CancellationToken.None),
                facts.IsRoot(check, CancellationToken.None),
                string.Join(",", facts.RoutesOfRoot(check, CancellationToken.None).Select(r => r.Display)),
                string.Join(",", facts.Policies(CancellationToken.None).Select(m => m.Name))));

            Assert.All(answers, answer => Assert.Equal(answers[0], answer));
            Assert.Equal(
                "litellm_metadata,metadata | POST /v1/chat/completions,POST /v1/messages | ShouldLog | True | True "
                + "| POST /v1/chat/completions,POST /v1/messages | get_Name,get_Modes,CheckAsync",
                answers[0]);
        }
    }

    /// <summary>A compilation of newly parsed trees (so no cache keyed by tree has them yet), and its facts.</summary>
    private static (Compilation Compilation, CompilationFacts Facts) Fresh()
    {
        var trees = new List<SyntaxTree>
        {
            CSharpSyntaxTree.ParseText(Filter, ProjectAnalysis.ParseOptions, "Filter.cs")
        };
        for (var file = 0; file < 24; file++)
        {
            trees.Add(
                CSharpSyntaxTree.ParseText(
                    $"namespace Contoso;\n\ninternal static class Dto{file} {{ public static int Value => {file}; }}\n",
                    ProjectAnalysis.ParseOptions,
                    $"Dto{file}.cs"));
        }

        var compilation = ProjectAnalysis.Compile(
            Testing.TestReferences.All,
            OutputKind.DynamicallyLinkedLibrary,
            trees.ToArray());
        return (compilation, CompilationFacts.Create(compilation, CancellationToken.None)!);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on <see cref="Threads"/> threads released together; fails with the first exception
    /// any of them threw.
    /// </summary>
    private static T[] AtOnce<T>(Func<T> work)
    {
        var results = new T[Threads];
        var failures = new Exception?[Threads];
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(index => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                results[index] = work();
            }
            catch (Exception exception)
            {
                failures[index] = exception;
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            throw new InvalidOperationException("A thread failed", failure);
        }

        return results;
    }
}
