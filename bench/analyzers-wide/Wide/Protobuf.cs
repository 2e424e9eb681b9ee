// The code a project's build generates from its .proto files (its <Protobuf> items, compiled by Grpc.Tools): an argument's
// comma-separated list may name .proto files beside its folders (NAME=FOLDER,...,FILE.proto), each generated here with the
// protoc and gRPC plug-in of the Grpc.Tools package this tool references, messages with client and server stubs (the
// package's default, GrpcServices="Both"). The generated files are compiled with the tree, as the SDK's generator output
// is, and not counted as its lines.
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

internal static class Protobuf
{
    /// <summary>The trees generated from the .proto files the comma-separated list names; none when it names none.</summary>
    public static SyntaxTree[] Generate(string folders, CSharpParseOptions parse)
    {
        var protos = folders.Split(',').Where(f => f.EndsWith(".proto", StringComparison.Ordinal)).ToList();
        if (protos.Count == 0)
        {
            return [];
        }

        var tools = typeof(Protobuf).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "GrpcTools").Value!;
        var platform = OperatingSystem.IsMacOS() ? "macosx_universal" : (OperatingSystem.IsWindows() ? "windows" : "linux") + "_" + (RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "arm64" : "x64");
        var bin = Path.Combine(tools, "tools", platform);
        var output = Directory.CreateTempSubdirectory("wide-protobuf-");
        try
        {
            foreach (var proto in protos)
            {
                // Imports resolve against the file's own folder and the well-known types the package ships (google/protobuf/*.proto).
                var start = new ProcessStartInfo(Path.Combine(bin, OperatingSystem.IsWindows() ? "protoc.exe" : "protoc"))
                {
                    ArgumentList =
                    {
                        $"--proto_path={Path.GetDirectoryName(proto)}", $"--proto_path={Path.Combine(tools, "build", "native", "include")}",
                        $"--csharp_out={output.FullName}", $"--grpc_out={output.FullName}",
                        $"--plugin=protoc-gen-grpc={Path.Combine(bin, OperatingSystem.IsWindows() ? "grpc_csharp_plugin.exe" : "grpc_csharp_plugin")}",
                        proto,
                    },
                    RedirectStandardError = true,
                };
                using var protoc = Process.Start(start)!;
                var errors = protoc.StandardError.ReadToEnd();
                protoc.WaitForExit();
                if (protoc.ExitCode != 0)
                {
                    throw new InvalidOperationException($"protoc failed on {proto}: {errors}");
                }
            }

            return Directory.EnumerateFiles(output.FullName, "*.cs").Order(StringComparer.Ordinal)
                .Select(p => CSharpSyntaxTree.ParseText(File.ReadAllText(p), parse, Path.Combine(Path.GetDirectoryName(protos[0])!, "Generated", Path.GetFileName(p))))
                .ToArray();
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}
