using System.Reflection;
using System.Text.RegularExpressions;
using FileServer.Hosting;

namespace FileServer.Tests.Docs;

/// <summary>
/// docs/design.md walks a request from accept to sendfile by file and method name: every name it gives must be a
/// real type with that member, and every folder-qualified one a real file, so the walk cannot drift from the code.
/// </summary>
[TestFixture]
public sealed partial class DesignWalkTests
{
    // Types of .NET itself that the walk names where our code hands over to them.
    private static readonly HashSet<string> RuntimeTypes = ["Socket", "SslStream"];

    private static readonly Assembly Engine = typeof(FileServerHost).Assembly;

    [Test]
    public void EveryTypeAndMemberTheRequestWalkNames_ExistsInTheSource()
    {
        var root = RepositoryRoot();
        var walk = Section(File.ReadAllText(Path.Combine(root, "docs", "design.md")), "## A request's walk");
        var names = NamePattern().Matches(walk).Select(m => (Folder: m.Groups[1].Value, Type: m.Groups[2].Value, Member: m.Groups[3].Value)).Distinct().ToList();
        Assert.That(names, Has.Count.GreaterThan(20), "the walk names the code it passes through");

        var missing = new List<string>();
        foreach (var (folder, typeName, member) in names)
        {
            if (RuntimeTypes.Contains(typeName))
            {
                continue;
            }
            var type = Engine.GetTypes().FirstOrDefault(t => t.Name == typeName);
            if (type is null)
            {
                missing.Add($"{typeName} (no such type)");
                continue;
            }
            if (!HasMember(type, member))
            {
                missing.Add($"{typeName}.{member} (no such member)");
            }
            if (folder.Length > 0 && !File.Exists(Path.Combine(root, "src", "FileServer", folder, typeName + ".cs")))
            {
                missing.Add($"src/FileServer/{folder}/{typeName}.cs (no such file)");
            }
        }
        Assert.That(missing, Is.Empty, "docs/design.md names code that is not there");
    }

    private static bool HasMember(Type type, string member)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
        return type.GetMember(member, All).Length > 0
            || type.GetInterfaces().Any(i => i.GetMember(member, All).Length > 0)
            || (type.BaseType is { } parent && parent != typeof(object) && HasMember(parent, member));
    }

    private static string Section(string markdown, string heading)
    {
        var start = markdown.IndexOf(heading, StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), $"docs/design.md has no section '{heading}'");
        var end = markdown.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FileServer.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("FileServer.sln not found above the test directory");
    }

    // Type.Member, optionally after its folder (Hosting/AcceptLoop.RunAsync); lower-case receivers (listener.Socket)
    // are variables, not types.
    [GeneratedRegex(@"(?<![\w./])(?:(Hosting|Serving|Http|Transport|Platform|Tls)/)?([A-Z]\w+)\.([A-Z]\w+)")]
    private static partial Regex NamePattern();
}
