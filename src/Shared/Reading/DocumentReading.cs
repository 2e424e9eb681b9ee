using Microsoft.Extensions.ObjectPool;

namespace TracedLlm.Reading;

/// <summary>
/// A <see cref="JsonScanner"/> and the <see cref="DocumentFacts"/> it feeds, taken from a pool for
/// one response and given back when its body ends. Their fixed buffers (the scanner's 64-level
/// stack and value buffers, the document's 2 KB arena) were 3.7 KB of the 16 KB a relayed request
/// allocated (bench/results/2026-11-25-relay-cpu-and-bytes.md); a response that never
/// ends (a failed attempt) leaves its pair to the collector, and the pool makes a new one.
/// </summary>
internal sealed class DocumentReading
{
    // Enough for every response being read at once on a busy gateway; a pool this size holds about 1 MB at most.
    private static readonly ObjectPool<DocumentReading> Pool = new DefaultObjectPool<DocumentReading>(
        new Policy(),
        256);

    // What a pair in the pool is bound to, so it keeps no response's facts or text alive.
    private static readonly ResponseFacts Unbound = new();

    private DocumentReading()
    {
        Document = new DocumentFacts(Unbound, text: null);
        Scanner = new JsonScanner(Document);
    }

    public DocumentFacts Document { get; }

    public JsonScanner Scanner { get; }

    /// <summary>
    /// A pair ready for a new response, feeding <paramref name="response"/> and <paramref name="text"/>.
    /// </summary>
    public static DocumentReading Rent(ResponseFacts response, TextSink? text)
    {
        var reading = Pool.Get();
        reading.Document.Bind(response, text);
        reading.Scanner.Reset();
        return reading;
    }

    /// <summary>
    /// A pair ready for one document whose facts only the pair itself keeps (a request body's
    /// <see cref="DocumentFacts.TopLevelModel"/>).
    /// </summary>
    public static DocumentReading Rent() => Rent(Unbound, text: null);

    /// <summary>Gives the pair back; nothing may use it afterwards.</summary>
    public void Return()
    {
        Document.Bind(Unbound, text: null);
        Pool.Return(this);
    }

    private sealed class Policy : PooledObjectPolicy<DocumentReading>
    {
        public override DocumentReading Create() => new();

        public override bool Return(DocumentReading obj) => true;
    }
}
