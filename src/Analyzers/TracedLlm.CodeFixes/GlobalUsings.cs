// The namespaces nearly every file of this project uses, and the analyzers' type tests (DerivesFrom).
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using System.Threading;
global using System.Threading.Tasks;
global using Microsoft.CodeAnalysis;
global using Microsoft.CodeAnalysis.CodeFixes;
global using Microsoft.CodeAnalysis.CSharp;
global using Microsoft.CodeAnalysis.CSharp.Syntax;
global using static TracedLlm.Analyzers.WellKnownTypes;
global using System.Composition;
