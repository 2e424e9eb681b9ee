// The namespaces nearly every file of this project uses, and WellKnownTypes' symbol checks (Same, DerivesFrom).
global using System;
global using System.Collections.Generic;
global using System.Collections.Immutable;
global using System.Linq;
global using System.Threading;
global using Microsoft.CodeAnalysis;
global using Microsoft.CodeAnalysis.Operations;
global using TracedLlm.Analyzers.Facts;
global using static TracedLlm.Analyzers.WellKnownTypes;
