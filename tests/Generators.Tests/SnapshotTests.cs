using System;
using System.IO;
using System.Runtime.CompilerServices;

namespace TracedLlm.Generators.Tests;

/// <summary>
/// The generated source, compared with checked-in snapshots. Set TRACEDLLM_UPDATE_SNAPSHOTS=1 to
/// rewrite them; a mismatch writes a .received file (ignored by git) beside the snapshot.
/// </summary>
public sealed class SnapshotTests
{
    [Theory]
    [InlineData("Contoso_Gateway_Routes_Chat.g.cs")]
    [InlineData("Contoso_Gateway_Routes_Messages.g.cs")]
    [InlineData("Contoso_Gateway_Routes_Embeddings.g.cs")]
    [InlineData("Contoso_Gateway_Routes_Responses.g.cs")]
    [InlineData("TracedLlmRoutes.g.cs")]
    public void GeneratedSourceMatchesSnapshot(string hintName)
    {
        var run = GeneratorHarness.Run(Sources.Gateway);
        Verify(hintName, run.Source(hintName));
    }

    private static void Verify(string hintName, string actual, [CallerFilePath] string testFile = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        var snapshot = Path.Combine(directory, hintName + ".txt");
        var received = Path.Combine(directory, hintName + ".received.txt");
        actual = actual.ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("TRACEDLLM_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(snapshot, actual);
            File.Delete(received);
            return;
        }

        var expected = File.Exists(snapshot) ? File.ReadAllText(snapshot).ReplaceLineEndings("\n") : "<no snapshot>";
        if (expected != actual)
        {
            File.WriteAllText(received, actual);
            Assert.Fail($"Generated {hintName} differs from {snapshot}; see {received}, or run with TRACEDLLM_UPDATE_SNAPSHOTS=1 to accept it.");
        }

        File.Delete(received);
    }
}
