using System.Collections.Generic;
using System.Linq;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// TLLM2004's cells whose sound form was sound by a reading issue 68 removed (a not-found answered with absence, a
/// write that finds its state already there, an argument check, a try that only logs, a race with disposal, a method
/// that catches everything: bench/analyzers-wide/readings-2026-11-28.md). Such a catch answers no error and gives up on
/// no model call, so it is TLLM2007's, a designed fallback the code cannot show: the team declares it, as the rule page
/// says. Each cell's sound form is asserted silent with the declaration (<see cref="MatrixCell.MustNotReportAsync"/>)
/// and reported as TLLM2007 without it (<see cref="MatrixCell.MustNeedDeclarationAsync"/>).
/// </summary>
internal static class DesignedFallbacks
{
    /// <summary>
    /// The catch-all vouched for in source: <see cref="SwallowedExceptionMatrix"/>'s counting method carries it.
    /// </summary>
    internal const string CountVouched =
        "[FailureHandledByDesign(\"a count that cannot be read is counted as none\")] ";

    private static (string Declaration, string Undeclared) Vouched => (CountVouched, @"catch \(Exception e\)");

    /// <summary>
    /// Exception types declared the domain's designed answers (<c>designed_exceptions</c>), and where their catches
    /// are.
    /// </summary>
    private static (string, string) Designed(string types, string undeclared) =>
        ("dotnet_code_quality.TLLM2004.designed_exceptions = " + types, undeclared);

    /// <summary>The catches of a type, named simply or in full.</summary>
    private static string Catching(string simpleName) => @"catch \((?:[\w.]+\.)?" + simpleName + @"\b";

    /// <summary>EF's concurrency failure answered 404 by design since issue 78: TLLM2007's unless declared.</summary>
    private static (string, string) Concurrency => Designed(
        "Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException", Catching("DbUpdateConcurrencyException"));

    private static readonly Dictionary<string, (string Declaration, string Undeclared)> ByConstruct = new(
        System.StringComparer.Ordinal)
    {
        [
            "ArgumentException caught around an upstream call and a store write, and around the store write only, "
            + "the handler logging"
        ] = Designed("System.ArgumentException", Catching("ArgumentException")),
        [
            "ArgumentException of a header a WebSocket's options refuse, the handler writing a 400 by hand, and "
            + "doing nothing"
        ] = Designed("System.ArgumentException", Catching("ArgumentException")),
        ["ArgumentException of an id validated in memory answered with a 400 by hand, and with null after a log"] =
            Designed("System.ArgumentException", Catching("ArgumentException")),
        [
            "ArgumentNullException caught in memory (a null check written as a catch) setting a local to null, and "
            + "SystemException"
        ] = Designed("System.ArgumentException", Catching("ArgumentNullException")),
        [
            "ArgumentOutOfRangeException caught around an awaited store write, the handler writing a 500 by hand, "
            + "and returning false"
        ] = Designed("System.ArgumentException", Catching("ArgumentOutOfRangeException")),
        ["Exception caught around an in-memory lookup"] = Designed(
            "System.Collections.Generic.KeyNotFoundException",
            Catching("KeyNotFoundException")),
        [
            "Exception taken by a when filter only as ArgumentOutOfRangeException (argument validation) around an "
            + "awaited store write, and every Exception"
        ] = Designed("System.ArgumentException", @"catch \(Exception ex\) when"),
        ["KeyNotFoundException caught around an in-memory lookup (a lookup probe), an await in the try"] = Designed(
            "System.Collections.Generic.KeyNotFoundException",
            Catching("KeyNotFoundException")),
        ["KeyNotFoundException caught around an in-memory lookup, an upstream call in the try"] = Designed(
            "System.Collections.Generic.KeyNotFoundException",
            Catching("KeyNotFoundException")),
        ["KeyNotFoundException caught around an in-memory lookup, the handler writing an error response"] = Designed(
            "System.Collections.Generic.KeyNotFoundException",
            Catching("KeyNotFoundException")),
        [
            "ObjectDisposedException caught around a timer's and a token source's own calls, and around a write "
            + "beside them"
        ] = Designed("System.ObjectDisposedException", Catching("ObjectDisposedException")),
        ["ObjectDisposedException caught around a timer's call, the handler doing more than log"] = Designed(
            "System.ObjectDisposedException",
            Catching("ObjectDisposedException")),
        [
            "EF's scaffolded concurrency catch: 404 when a fresh read finds the row gone, else rethrown; and 404"
                + " without the read"
        ] = Concurrency,
        [
            "EF's concurrency catch rethrowing when the row is there and answering 404 (if (Exists) throw;), and"
                + " answering 404 without rethrowing"
        ] = Concurrency,
        [
            "a failed insert answered 400 when a re-query finds the name taken (a local set from the read), else"
                + " rethrown; and answered 500"
        ] = Designed("Microsoft.EntityFrameworkCore.DbUpdateException", Catching("DbUpdateException")),
        ["a 404 on a delete logged and every other status logged too, and rethrown"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        ["a 404 on a delete logged, then more work after the catch, and the end of the method"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        ["a 409 on a create answered with a made-up item, and with the item given"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        ["a 409 read on a model call named as a create (an SDK's result), and on a store's create"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        [
            "a catch whose filter calls a test that joins not-found with another condition "
            + "(IsTableNotFoundOrTransient) answered with null, and a not-found test"
        ] = Designed("Contoso.StoreException", Catching("StoreException")),
        [
            "a catch whose filter calls a test that says not-found answered with null, and one whose test says "
            + "transient"
        ] = Designed("Contoso.StoreException", Catching("StoreException")),
        [
            "a catch-all around a call of a method that catches everything, Math.Abs of an int outside its try "
            + "(throws for MinValue), and Math.Max"
        ] = Vouched,
        [
            "a catch-all around a call of a method that catches everything, a decimal product cast to int outside "
            + "its try (throws on overflow in any context), and a double one"
        ] = Vouched,
        [
            "a catch-all around a call of a method that catches everything, a multiplication in a checked context "
            + "outside its try, and unchecked"
        ] = Vouched,
        [
            "a catch-all around a call of a method that catches everything, a statement outside its try calling "
            + "another method, and none"
        ] = Vouched,
        [
            "a catch-all around a call of a method that catches everything, an integer division outside its try, and "
            + "a floating one"
        ] = Vouched,
        [
            "a catch-all around a call of a method that catches everything, declared nullable-oblivious and "
            + "returning null (its result's Item1 read), and declared with nullable annotations"
        ] = Vouched,
        [
            "a catch-all around a call of a method that catches everything, the method virtual with an override that "
            + "throws, and virtual with none (every implementation known)"
        ] = Vouched,
        [
            "a catch-all around an awaited call of a method that catches everything in its own try and otherwise "
            + "only tests and computes, and that method's handler rethrowing"
        ] = Vouched,
        [
            "a create answered 409 (Conflict) logged and the item given returned, every other status rethrown, and a "
            + "404 on the create"
        ] = Designed("Contoso.DocumentException", Catching("DocumentException")),
        ["a create's int status tested in a when filter, 409 logged, and 429"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        ["a delete answered 404 (NotFound) logged, every other status rethrown, and a 409 on the delete"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        [
            "a delete's 404 logged, other statuses rethrown by a pattern (is not NotFound), and a test that is not "
            + "exactly the status"
        ] = Designed("Contoso.DocumentException", Catching("DocumentException")),
        [
            "a library's own not-found exception (named ...NotFoundException) answered with null, and one named for "
            + "another condition"
        ] = Designed("Contoso.IndexNotFoundException", Catching("IndexNotFoundException")),
        ["a list filled in the try left empty by a not-found, and by a transient failure"] = Designed(
            "Contoso.StoreException",
            Catching("StoreException")),
        ["a loader's not-found (DllNotFoundException) answered with null, and a directory's"] = Designed(
            "System.IO.DirectoryNotFoundException",
            Catching("DirectoryNotFoundException")),
        ["a missing directory in an async iterator answered with made-up records, and with yield break"] = Designed(
            "System.IO.DirectoryNotFoundException",
            Catching("DirectoryNotFoundException")),
        ["a missing list answered with a made-up array, and with Array.Empty"] = Designed(
            "System.IO.DirectoryNotFoundException",
            Catching("DirectoryNotFoundException")),
        ["a missing list answered with a made-up list, and with an empty one"] = Designed(
            "System.IO.DirectoryNotFoundException",
            Catching("DirectoryNotFoundException")),
        ["a not-found answered by a made-up value in the try's local, and by null there, the method going on"] =
            Designed("System.IO.FileNotFoundException", Catching("FileNotFoundException")),
        ["a not-found answered with a hand-written 404, and with null alone"] = Designed(
            "System.IO.FileNotFoundException",
            Catching("FileNotFoundException")),
        ["a not-found answered with a made-up value, and with default"] = Designed(
            "System.IO.FileNotFoundException",
            Catching("FileNotFoundException")),
        ["a not-found answered with null around an upstream call in the try"] = Designed(
            "System.IO.FileNotFoundException",
            Catching("FileNotFoundException")),
        [
            "a not-found around a list filled in the try, left at the empty list given just before and streamed "
            + "after, and at a list given an element"
        ] = Designed("Contoso.StoreException", Catching("StoreException")),
        [
            "a not-found failure of an awaited read (FileNotFoundException) answered with null, and an IOException "
            + "answered the same"
        ] = Designed("System.IO.FileNotFoundException", Catching("FileNotFoundException")),
        ["a not-found of a deletion logged in a Task method, then another task returned, and Task.CompletedTask"] =
            Designed("System.IO.DirectoryNotFoundException", Catching("DirectoryNotFoundException")),
        ["a not-found of a deletion logged, then more work, and then the end of the method (a finally around it)"] =
            Designed("System.IO.DirectoryNotFoundException", Catching("DirectoryNotFoundException")),
        [
            "a not-found of a write answered by creating the folder and not writing, and by writing again (create on "
            + "first use)"
        ] = Designed("System.IO.DirectoryNotFoundException", Catching("DirectoryNotFoundException")),
        [
            "a not-found of a write answered by creating the folder and writing elsewhere, and by writing the same "
            + "again"
        ] = Designed("System.IO.DirectoryNotFoundException", Catching("DirectoryNotFoundException")),
        [
            "a not-found of two writes answered by creating the folder and repeating the last only, and of one write "
            + "repeated"
        ] = Designed("System.IO.DirectoryNotFoundException", Catching("DirectoryNotFoundException")),
        ["a read answered 404 (NotFound) with null, every other status rethrown, and with a made-up item"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        ["a read answered null for a 404, and for a 500"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
        ["a read's 404 answered with null in a when filter, and a replace's (an update that found nothing to update)"] =
            Designed("Contoso.DocumentException", Catching("DocumentException")),
        ["a read's 404 answered with null on Azure.AI.OpenAI 1.x's client (a model call), and a store's read"] =
            Designed("Contoso.DocumentException", Catching("DocumentException")),
        [
            "a read's 404 answered with null on a Semantic Kernel chat service's extension (a model call TLLM2006 "
            + "does not follow: its 404 a deployment not there), and a store's read"
        ] = Designed("Contoso.DocumentException", Catching("DocumentException")),
        [
            "a read's 404 answered with null through a typed client of source whose body posts to a model (a model "
            + "call: its 404 a missing model), and a store's read"
        ] = Designed("Contoso.DocumentException", Catching("DocumentException")),
        ["a try that only writes a log line given a deferred query the logger enumerates, and a list"] = Designed(
            "System.ObjectDisposedException",
            Catching("ObjectDisposedException")),
        [
            "a try that only writes a log line through ILogger.Log (an interpolated message, a formatter), and a "
            + "file write beside it"
        ] = Designed("System.ObjectDisposedException", Catching("ObjectDisposedException")),
        ["a try that only writes a log line whose formatter of source reads a file, and one that returns the state"] =
            Designed("System.ObjectDisposedException", Catching("ObjectDisposedException")),
        ["a try that only writes a log line, the handler answering, and doing nothing"] = Designed(
            "System.ObjectDisposedException",
            Catching("ObjectDisposedException")),
        ["a try that only writes a log line, the handler setting state, and logging"] = Designed(
            "System.ObjectDisposedException",
            Catching("ObjectDisposedException")),
        [
            "a try that only writes log lines (LogWarning, a LoggerMessage.Define delegate, a [LoggerMessage] "
            + "method), and an argument computed by a call"
        ] = Designed("System.ObjectDisposedException", Catching("ObjectDisposedException")),
        ["a type derived from InvalidOperationException caught around an awaited store write, and ArgumentException"] =
            Designed("System.ArgumentException", Catching("ArgumentException")),
        [
            "a when filter of an argument type or a not-found type around an awaited store write, and of an argument "
            + "type or HttpRequestException"
        ] = Designed(
            "System.ArgumentException|System.Collections.Generic.KeyNotFoundException",
            @"catch \(Exception ex\) when"),
        [
            "a when filter testing for argument types (is T1 or T2) around an awaited store write, and one testing "
            + "the message too"
        ] = Designed("System.ArgumentException", @"catch \(Exception ex\) when"),
        ["an upsert answered 409 logged (no create), and a create"] = Designed(
            "Contoso.DocumentException",
            Catching("DocumentException")),
    };

    /// <summary>
    /// Cells whose faulty form is a fallback, or answers an error in a helper the route reaches through calls: its
    /// catch gives up on no model call and answers no error in the route's own code, so since issue 68 it is TLLM2007's
    /// (on in these tests, TLLM2004's only with <c>report_through_calls</c>), read the same way; the faulty form
    /// asserts TLLM2007 where it asserted TLLM2004, and the sound form stays silent for both.
    /// </summary>
    private static readonly HashSet<string> FallbackFaulty = new(System.StringComparer.Ordinal)
    {
        "KeyNotFoundException caught around an in-memory lookup, the handler writing an error response",
        "ArgumentException of a header a WebSocket's options refuse, the handler writing a 400 by hand, and doing "
        + "nothing",
        "ArgumentException of an id validated in memory answered with a 400 by hand, and with null after a log",
        "ArgumentOutOfRangeException caught around an awaited store write, the handler writing a 500 by hand, and "
        + "returning false",
        "Bare catch around Newtonsoft's JObject.Parse, its properties each tried as JSON and the result serialized, "
        + "answered with the text given, and a response's body read in the try",
        "Bare catch around a state tried as JSON into a dictionary, the handler keeping it as a JSON string in the "
        + "same dictionary, and the handler writing a 400",
        "Bare catch around a strict UTF-8 decode in a method answering ActionResult<T> (the value wrapped by its "
        + "conversion), answered with the record, and Console beside it",
        "EF's concurrency catch rethrowing when the row is there and answering 404 (if (Exists) throw;), and "
        + "answering 404 without rethrowing",
        "EF's scaffolded concurrency catch: 404 when a fresh read finds the row gone, else rethrown; and 404 "
        + "without the read",
        "Exception caught around Guid.Parse and DateTimeOffset.Parse answered with null, and the handler writing a "
        + "400 by hand",
        "Exception caught around a client's cookie decrypted in memory (an unprotect probe), an await in the try",
        "Exception caught around a client's cookie decrypted in memory, a file read in the try",
        "Exception caught around a client's cookie decrypted in memory, the handler writing an error response",
        "Exception caught around a client's cookie decrypted in memory, the log helper writing an error response",
        "Exception caught around a list decoded from a cookie by an extension method of source, and the handler "
        + "clearing the cookie",
        "HttpRequestException resent at HTTP/1.1 when its Data marks a refused HTTP version, and when it is a 429",
        "HttpRequestException whose Data marks a refused HTTP version (a protocol fallback) resent at HTTP/1.1, any "
        + "other rethrown",
        "JsonException caught around a JSON decode of text in memory and an awaited Task.Delay, the handler "
        + "answering in the message, and a response's body decoded from its stream instead",
        "ObjectDisposedException caught around a timer's and a token source's own calls, and around a write beside "
        + "them",
        "ObjectDisposedException caught around a timer's call, the handler doing more than log",
        "a BCL exception no source code creates (TimeoutException) caught in the handler, and a source one",
        "a catch-all around an awaited interface call whose one implementation catches everything itself, a second "
        + "implementation that throws, and none",
        "a catch-all around an awaited interface call whose one implementation catches everything itself, the "
        + "action answering Problem() (it reads services), and Ok(result)",
        "a catch-all around an awaited interface call whose one implementation catches everything itself, the "
        + "action answering an anonymous object made with a call on a value it says may be null, and with a constant",
        "a catch-all around arithmetic and tests of locals only (nothing can throw), and around an integer division",
        "a failed insert answered 400 when a re-query finds the name taken (a local set from the read), else "
        + "rethrown; and answered 500",
        "a not-found answered with a hand-written 404, and with null alone",
        "a public source exception no code creates in a library (its consumers may), and in an application (a "
        + "static Main)",
        "a referenced library's exception no source code creates (UpstreamException) caught in the handler, and a "
        + "source one",
        "a source exception no code creates caught in the handler, and one created in another method",
        "a source exception no code creates caught in the handler, and one created with a dynamic argument (an "
        + "error body read as dynamic)",
        "a source exception no code creates caught in the handler, and one made by a generic new() factory and by "
        + "Activator",
        "a source exception no code creates taken by a when filter of type tests in a helper, and a type derived "
        + "from it created",
        "a source exception no code creates taken by a when filter that also tests its message, and by type tests only",
        "a when filter of an argument type or a not-found type around an awaited store write, and of an argument "
        + "type or HttpRequestException",
        "catch in a System.Threading.Timer callback",
        "catch in a handler of a library's event, a lambda",
        "catch inside a finally",
        "catch of a second failure inside a catch (a fallback's, dropped)",
        "failure kept in a local the next line throws on",
    };

    /// <summary>
    /// The cells with their declarations; a construct named here and missing from the matrix fails the matrix's load.
    /// </summary>
    internal static IReadOnlyDictionary<string, MatrixCell> Declare(IReadOnlyDictionary<string, MatrixCell> cells)
    {
        var missing = ByConstruct.Keys.Concat(FallbackFaulty).Where(name => !cells.ContainsKey(name)).ToList();
        if (missing.Count > 0)
        {
            throw new System.InvalidOperationException(
                "Declared cells not in the matrix: " + string.Join("; ", missing));
        }

        return cells.ToDictionary(
            cell => cell.Key,
            cell =>
                Declared(
                    FallbackFaulty.Contains(cell.Key)
                        ? cell.Value with
                        {
                            Report = cell.Value.Report.Replace("{|TLLM2004:", "{|TLLM2007:")
                        }
                        : cell.Value));

        MatrixCell Declared(MatrixCell cell) =>
            ByConstruct.TryGetValue(cell.Construct, out var declared)
                ? cell with
                {
                    Declaration = declared.Declaration,
                    Undeclared = declared.Undeclared
                }
                : cell;
    }
}
