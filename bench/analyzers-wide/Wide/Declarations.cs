using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

/// <summary>
/// The intent a team declares in its own tree when it adopts TracedLlm (bench/analyzers-wide/README.md, the protocol):
/// the <c>.editorconfig</c> files the compiler would read for each source file (in its folder and every folder above it,
/// as a build does), given to the analyzers as a build gives them, and the lines that declare: the TLLM options and
/// severities of those files, and the attributes the package ships, counted in the source (<c>[TracedLlmCode]</c>,
/// <c>[RecordsFailures]</c>, apart from <c>[FailureHandledByDesign]</c>, which vouches for one finding, not for an intent).
/// </summary>
internal sealed class Declarations
{
    private static readonly string[] IntentAttributes = ["TracedLlmCode", "RecordsFailures"];

    private Declarations(AnalyzerConfigOptionsProvider options, int optionLines, int attributeLines, int vouchedLines, IReadOnlyList<string> files)
    {
        Options = options;
        OptionLines = optionLines;
        AttributeLines = attributeLines;
        VouchedLines = vouchedLines;
        Files = files;
    }

    public AnalyzerConfigOptionsProvider Options { get; }

    /// <summary>Lines of the <c>.editorconfig</c> files that set a TLLM option or severity.</summary>
    public int OptionLines { get; }

    /// <summary>Lines of source that carry <c>[TracedLlmCode]</c> or <c>[RecordsFailures]</c>.</summary>
    public int AttributeLines { get; }

    /// <summary>Lines of source that carry <c>[FailureHandledByDesign]</c>: findings acted upon, counted apart.</summary>
    public int VouchedLines { get; }

    public IReadOnlyList<string> Files { get; }

    public string Describe() =>
        $"declarations: {OptionLines + AttributeLines} lines ({OptionLines} in {Files.Count} .editorconfig files, {AttributeLines} attributes [TracedLlmCode]/[RecordsFailures]); [FailureHandledByDesign]: {VouchedLines}";

    public static Declarations Read(IReadOnlyList<SyntaxTree> trees)
    {
        var files = trees.Select(t => Path.GetDirectoryName(Path.GetFullPath(t.FilePath))).OfType<string>().Distinct()
            .SelectMany(Above).Distinct().Select(d => Path.Combine(d, ".editorconfig")).Where(File.Exists).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var configs = files.Select(f => AnalyzerConfig.Parse(File.ReadAllText(f), f)).ToList();
        var set = AnalyzerConfigSet.Create(configs);
        var optionLines = files.Sum(f => File.ReadLines(f).Count(l => l.TrimStart().StartsWith("dotnet_code_quality.TLLM", StringComparison.OrdinalIgnoreCase)
            || l.TrimStart().StartsWith("dotnet_diagnostic.TLLM", StringComparison.OrdinalIgnoreCase)));
        int attributeLines = 0, vouchedLines = 0;
        foreach (var tree in trees)
        {
            foreach (var list in tree.GetRoot().DescendantNodes().OfType<AttributeListSyntax>())
            {
                var names = list.Attributes.Select(a => Normalize(a.Name)).ToList();
                attributeLines += names.Any(IntentAttributes.Contains) ? 1 : 0;
                vouchedLines += names.Contains("FailureHandledByDesign") ? 1 : 0;
            }
        }

        var byTree = trees.ToDictionary(t => t, t => set.GetOptionsForSourcePath(Path.GetFullPath(t.FilePath)).AnalyzerOptions);
        return new Declarations(new Provider(byTree), optionLines, attributeLines, vouchedLines, files);
    }

    private static IEnumerable<string> Above(string directory)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            yield return current.FullName;
        }
    }

    private static string Normalize(NameSyntax name)
    {
        var last = name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax aliased => aliased.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => name.ToString(),
        };
        return last.EndsWith("Attribute", StringComparison.Ordinal) ? last[..^"Attribute".Length] : last;
    }

    /// <summary>The options of each tree, as the compiler gives an analyzer the <c>.editorconfig</c> sections that apply to a file.</summary>
    private sealed class Provider(Dictionary<SyntaxTree, ImmutableDictionary<string, string>> byTree) : AnalyzerConfigOptionsProvider
    {
        private static readonly TreeOptions Empty = new(ImmutableDictionary<string, string>.Empty);
        private readonly Dictionary<SyntaxTree, TreeOptions> _options = byTree.ToDictionary(p => p.Key, p => new TreeOptions(p.Value));

        public override AnalyzerConfigOptions GlobalOptions => Empty;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _options.TryGetValue(tree, out var options) ? options : Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty;
    }

    private sealed class TreeOptions(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
