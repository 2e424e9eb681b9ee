using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using TracedLlm.Telemetry;
using YamlDotNet.RepresentationModel;

namespace TracedLlm.OpenTelemetry.Tests;

/// <summary>
/// The fleet recipe's Collector configuration (docs/deployment.md, "Many teams"), checked as the
/// Collector reads it.
/// </summary>
/// <remarks>
/// It parses, its routing connector is wired as the Collector requires, and it routes on an attribute
/// the span contract puts on every span of every traced route.
/// </remarks>
public sealed partial class FleetRecipeTests
{
    private static readonly string[] Sections =
        ["receivers", "processors", "exporters", "connectors", "extensions", "service"];

    // Where the Collector looks for a component a pipeline names, by its role there.
    private static readonly (string Role, string[] Sections)[] Roles =
    [
        ("receivers", ["receivers", "connectors"]),
        ("processors", ["processors"]),
        ("exporters", ["exporters", "connectors"]),
    ];

    [Fact]
    public void TheCollectorConfigurationRoutesEachTeamOnAnAttributeEverySpanCarries()
    {
        var root = Configuration();
        Assert.All(Keys(root), key => Assert.Contains(key, Sections));
        var pipelines = Map(Map(root, "service"), "pipelines");
        var routing = Map(Map(root, "connectors"), "routing");

        // The routing table: each route a span condition on a pipeline that receives from the connector.
        var table = Assert.IsType<YamlSequenceNode>(routing.Children[new YamlScalarNode("table")]);
        Assert.NotEmpty(table.Children);
        var routed = new List<string>();
        var attributes = new List<string>();
        foreach (var route in table.Children.Cast<YamlMappingNode>())
        {
            Assert.Equal("span", Scalar(route, "context"));
            Assert.False(Keys(route).Contains("statement"), "a route has a condition or a statement, not both");
            var condition = Scalar(route, "condition");
            var named = AttributeName().Matches(condition).Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(named);
            attributes.AddRange(named);
            routed.AddRange(Names(route, "pipelines"));
        }

        routed.AddRange(Names(routing, "default_pipelines"));
        Assert.Contains(Scalar(routing, "error_mode"), new[] { "propagate", "ignore", "silent" });
        Assert.All(routed, pipeline => Assert.Contains("routing", Names(Map(pipelines, pipeline), "receivers")));
        Assert.Contains(Keys(pipelines), pipeline => Names(Map(pipelines, pipeline), "exporters").Contains("routing"));

        // Every component a pipeline names is defined where the Collector looks for it.
        foreach (var pipeline in Keys(pipelines))
        {
            foreach (var (role, sections) in Roles)
            {
                foreach (var component in Names(Map(pipelines, pipeline), role))
                {
                    var defined = sections.Any(section => Keys(Map(root, section)).Contains(component));
                    Assert.True(defined, $"{pipeline} names {role[..^1]} {component}, which is not defined");
                }
            }
        }

        // The caller's identity as trace metadata, which the contract puts on every span of every route.
        var identity = new[]
        {
            AttributeNames.UserApiKeyTeamId, AttributeNames.UserApiKeyOrgId, AttributeNames.UserApiKeyAlias,
            AttributeNames.UserApiKeyHash, AttributeNames.UserApiKeyUserId,
        };
        var contract = ContractSpans();
        Assert.NotEmpty(contract);
        foreach (var attribute in attributes.Distinct())
        {
            Assert.Contains(attribute, identity.Select(name => AttributeNames.LangfuseTraceMetadataPrefix + name));
            Assert.All(contract, span => Assert.True(
                span.Attributes.Any(a => Covers(a, attribute)),
                $"{span.Name} of {span.Route} does not carry {attribute}"));
        }
    }

    // The contract's attribute (or its "prefix.*") names the attribute.
    private static bool Covers(string contract, string attribute) =>
        contract == attribute
        || (contract.EndsWith(".*", StringComparison.Ordinal)
            && attribute.StartsWith(contract[..^1], StringComparison.Ordinal));

    [GeneratedRegex("attributes\\[\"([^\"]+)\"\\]")]
    private static partial Regex AttributeName();

    // The YAML block of docs/deployment.md's "Many teams" section.
    private static YamlMappingNode Configuration()
    {
        var page = File.ReadAllText(Path.Combine(Root(), "docs", "deployment.md"));
        var section = page[page.IndexOf("## Many teams", StringComparison.Ordinal)..];
        var start = section.IndexOf("```yaml", StringComparison.Ordinal) + "```yaml".Length;
        var yaml = section[start..section.IndexOf("```", start, StringComparison.Ordinal)];
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return Assert.IsType<YamlMappingNode>(Assert.Single(stream.Documents).RootNode);
    }

    // The spans of every route in the tracked telemetry contract, each with its attributes.
    private static List<(string Route, string Name, List<string> Attributes)> ContractSpans()
    {
        var spans = new List<(string Route, string Name, List<string> Attributes)>();
        var route = string.Empty;
        var file = Path.Combine(Root(), "tests", "Gateway.Fixture", "TracedLlm.Telemetry.txt");
        foreach (var line in File.ReadLines(file).Select(l => l.Trim()))
        {
            if (line.StartsWith("route ", StringComparison.Ordinal))
            {
                route = line[6..];
            }
            else if (line.StartsWith("span ", StringComparison.Ordinal))
            {
                spans.Add((route, line[5..], new List<string>()));
            }
            else if (line.StartsWith("attribute ", StringComparison.Ordinal) && spans.Count > 0)
            {
                spans[^1].Attributes.Add(line[10..]);
            }
        }

        return spans;
    }

    private static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Generators.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("No Generators.sln above the tests.");
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) =>
        Assert.IsType<YamlMappingNode>(node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? value
            : null);

    private static string Scalar(YamlMappingNode node, string key) =>
        Assert.IsType<YamlScalarNode>(node.Children[new YamlScalarNode(key)]).Value ?? string.Empty;

    private static List<string> Names(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? Assert.IsType<YamlSequenceNode>(value).Children.Select(Text).ToList()
            : [];

    private static List<string> Keys(YamlMappingNode node) => node.Children.Keys.Select(Text).ToList();

    private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? string.Empty;
}
