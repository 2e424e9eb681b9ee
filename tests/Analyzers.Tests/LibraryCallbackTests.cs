using System.Threading.Tasks;
using static TracedLlm.Analyzers.Tests.Verify;

namespace TracedLlm.Analyzers.Tests;

/// <summary>
/// Code a referenced library runs later, from its own thread (a handler added to its event, a timer's callback), is not
/// the request's: its catches, throws and upstream calls are not judged as the request's, and what it calls is not
/// reached by the request. A span it leaves open is still a fault (TLLM2003).
/// </summary>
public sealed class LibraryCallbackTests
{
    [Fact]
    public Task ALocalFunctionSubscribedToALibraryEventIsTheLibrarysOneAlsoCalledByTheRequestIsTheRequests() =>
        AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
                var text = "";
                void OnTick(object? sender, System.Timers.ElapsedEventArgs e)
                {
                    try { text = System.IO.File.ReadAllText("queue"); }
                    catch (System.IO.IOException) { text = "none"; }
                }

                void Poll(object? sender, System.Timers.ElapsedEventArgs e)
                {
                    try { text = System.IO.File.ReadAllText("poll"); }
                    {|#0:catch|} (System.IO.IOException) { text = "none"; }
                }

                var timer = new System.Timers.Timer(1000);
                timer.Elapsed += OnTick;
                timer.Elapsed += Poll;
                timer.Start();
                Poll(null, null!);
                return new Reply { Text = text };
            }
        }
        """,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException")));

    [Fact]
    public Task ACallbackThatCompletesATaskTheRequestAwaitsIsTheRequests() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static async Task<Reply> Chat(ChatRequest request, HttpClient http)
            {
                // An event bridged to a task the request awaits (a reply over a queue): what the handler does is what
                // the request waits for.
                var read = new TaskCompletionSource<string>();
                var timer = new System.Timers.Timer(10);
                timer.Elapsed += (_, _) =>
                {
                    var text = "";
                    try { text = System.IO.File.ReadAllText("reply"); }
                    {|#0:catch|} (System.IO.IOException) { text = "none"; }
                    read.TrySetResult(text);
                };
                timer.Start();
                var sent = new TaskCompletionSource<HttpResponseMessage>();
                using var once = new System.Threading.Timer(async _ =>
                    sent.SetResult(await {|#1:http.PostAsync("http://upstream/v1/chat/completions",
                        new StringContent("{}"))|}), null, 0, -1);
                var watcher = new System.IO.FileSystemWatcher(".");
                var seen = new TaskCompletionSource<string>();
                watcher.Created += Replies.OnCreated(seen);
                await sent.Task;
                return new Reply { Text = await read.Task + await seen.Task };
            }
        }

        internal static class Replies
        {
            public static System.IO.FileSystemEventHandler OnCreated(TaskCompletionSource<string> seen) => (_, e) =>
                Forward(seen, e.FullPath);

            private static void Forward(TaskCompletionSource<string> seen, string path)
            {
                try { seen.SetResult(System.IO.File.ReadAllText(path)); }
                {|#2:catch|} (System.IO.IOException) { seen.SetResult(""); }
            }
        }
        """,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException")),
        Diagnostic("TLLM2006", 1, UnscopedUpstreamCallTests.Message("HttpClient.PostAsync")),
        Diagnostic("TLLM2007", 2, SwallowedExceptionTests.HandledMessage("System.IO.IOException") + " (reached from "
            + "route 'POST /v1/chat/completions' through Routes.Chat → Replies.OnCreated → Replies.Forward)"));

    [Fact]
    public Task WhatALibraryCallbackCallsIsNotReachedByTheRequest() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request, TimeProvider time)
            {
                using var ticker = time.CreateTimer(_ => Queue.Poll(), null, TimeSpan.FromSeconds(1),
                    TimeSpan.FromSeconds(1));
                var watcher = new System.IO.FileSystemWatcher(".");
                watcher.Changed += (_, _) => Queue.Poll();
                return new Reply { Text = Queue.Read() };
            }
        }

        internal static class Queue
        {
            public static void Poll()
            {
                try { System.IO.File.ReadAllText("queue"); }
                catch (System.IO.IOException) { }
            }

            public static string Read()
            {
                try { return System.IO.File.ReadAllText("queue"); }
                {|#0:catch|} (System.IO.IOException) { return ""; }
            }
        }
        """,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException") + " (reached from "
            + "route 'POST /v1/chat/completions' through Routes.Chat → Queue.Read)"));

    [Fact]
    public Task ASpanLeftOpenInALibrarysEventHandlerIsStillReported() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
                var timer = new System.Timers.Timer(1000);
                timer.Elapsed += Poller.OnElapsed;
                timer.Elapsed += (_, _) =>
                {
                    var tick = {|#0:Telemetry.Source.StartActivity("tick")|};
                    tick?.SetTag("model", request.Model);
                };
                timer.Start();
                return new Reply();
            }
        }

        internal static class Poller
        {
            public static void OnElapsed(object? sender, System.Timers.ElapsedEventArgs e)
            {
                var poll = {|#1:Telemetry.Source.StartActivity("poll")|};
                poll?.SetTag("queue", "documents");
            }
        }
        """,
        Diagnostic("TLLM2003", 0, string.Format(System.Globalization.CultureInfo.InvariantCulture,
            SpanLifecycleTests.NotEnded, "tick")),
        Diagnostic("TLLM2003", 1, string.Format(System.Globalization.CultureInfo.InvariantCulture,
            SpanLifecycleTests.NotEnded, "poll")
            + " (reached from route 'POST /v1/chat/completions' through Routes.Chat → Poller.OnElapsed)"));

    [Fact]
    public Task ALibraryInterfacesEventImplementedInSourceIsRaisedBySource() => AnalyzerAsync(Corpus.Header + """
        internal static class Routes
        {
            [TracedLlmRoute("POST", "/v1/chat/completions")]
            public static Reply Chat(ChatRequest request)
            {
                var text = "";
                System.ComponentModel.INotifyPropertyChanged model = new Model();
                model.PropertyChanged += (_, _) =>
                {
                    try { text = System.IO.File.ReadAllText("model"); }
                    {|#0:catch|} (System.IO.IOException) { text = "none"; }
                };
                ((Model)model).Name = request.Model;
                return new Reply { Text = text };
            }
        }

        internal sealed class Model : System.ComponentModel.INotifyPropertyChanged
        {
            private string? _name;

            public event System.ComponentModel.PropertyChangedEventHandler? PropertyChanged;

            public string? Name
            {
                get => _name;
                set { _name = value; PropertyChanged?.Invoke(this,
                    new System.ComponentModel.PropertyChangedEventArgs(nameof(Name))); }
            }
        }
        """,
        Diagnostic("TLLM2007", 0, SwallowedExceptionTests.HandledMessage("System.IO.IOException")));
}
