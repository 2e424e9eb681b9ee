// The namespaces most files of this project use (syntax too, as in the code fixes), and WellKnownTypes' checks.
global using System;
global using System.Collections.Generic;
global using System.Collections.Immutable;
global using System.Linq;
global using System.Threading;
global using Microsoft.CodeAnalysis;
global using Microsoft.CodeAnalysis.CSharp.Syntax;
global using Microsoft.CodeAnalysis.Operations;
global using TracedLlm.Analyzers.Facts;
global using static TracedLlm.Analyzers.WellKnownTypes;
// The dataflow framework's namespaces and the span analysis's state map, which the flow readings share.
global using Microsoft.CodeAnalysis.FlowAnalysis;
global using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow;
global using Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.PointsToAnalysis;
global using SpanData = Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.DictionaryAnalysisData<
    Microsoft.CodeAnalysis.FlowAnalysis.DataFlow.AbstractLocation, TracedLlm.Analyzers.Facts.SpanFlow.SpanState>;
global using System.Collections.Concurrent;
global using Microsoft.CodeAnalysis.Diagnostics;
