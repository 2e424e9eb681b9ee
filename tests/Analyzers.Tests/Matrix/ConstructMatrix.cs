using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace TracedLlm.Analyzers.Tests.Matrix;

/// <summary>
/// Every rule's construct matrix: each cell's faulty form must be reported and its sound form must not
/// (or, for a known limit, the behaviour its <see cref="Held"/> names, asserted so that a fix flips it).
/// </summary>
public sealed class ConstructMatrix
{
    /// <summary>Each rule's header and cells (the metamorphic tests read every cell's two forms as examples).</summary>
    internal static readonly IReadOnlyDictionary<
        string,
        (string Header, IReadOnlyDictionary<string, MatrixCell> Cells)
    > Rules = new Dictionary<string, (string, IReadOnlyDictionary<string, MatrixCell>)>
    {
        ["TLLM2001"] = (SlotMismatchMatrix.Header, SlotMismatchMatrix.Cells),
        ["TLLM2002"] = (FailurePathMatrix.Header, FailurePathMatrix.Cells),
        ["TLLM2003"] = (SpanLifecycleMatrix.Header, SpanLifecycleMatrix.Cells),
        ["TLLM2004"] = (SwallowedExceptionMatrix.Header, SwallowedExceptionMatrix.Cells),
        ["TLLM2005"] = (SlotCollisionMatrix.Header, SlotCollisionMatrix.Cells),
        ["TLLM2006"] = (UnscopedUpstreamCallMatrix.Header, UnscopedUpstreamCallMatrix.Cells),
        ["TLLM2008"] = (UnthrownFailureMatrix.Header, UnthrownFailureMatrix.Cells),
    };

    public static TheoryData<string, string> Constructs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (rule, matrix) in Rules.OrderBy(r => r.Key, System.StringComparer.Ordinal))
            {
                foreach (var construct in matrix.Cells.Keys)
                {
                    data.Add(rule, construct);
                }
            }

            return data;
        }
    }

    /// <summary>The cells whose sound form is sound by a declaration of the team's (issue 68).</summary>
    public static TheoryData<string, string> DeclaredConstructs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var (rule, matrix) in Rules.OrderBy(r => r.Key, System.StringComparer.Ordinal))
            {
                foreach (var (construct, cell) in matrix.Cells)
                {
                    if (cell.Declaration is not null)
                    {
                        data.Add(rule, construct);
                    }
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Constructs))]
    public Task MustReport(string rule, string construct) =>
        Rules[rule].Cells[construct].MustReportAsync(Rules[rule].Header);

    [Theory]
    [MemberData(nameof(Constructs))]
    public Task MustNotReport(string rule, string construct) =>
        Rules[rule].Cells[construct].MustNotReportAsync(Rules[rule].Header);

    [Theory]
    [MemberData(nameof(DeclaredConstructs))]
    public Task MustNeedDeclaration(string rule, string construct) =>
        Rules[rule].Cells[construct].MustNeedDeclarationAsync(Rules[rule].Header);
}
