using System.Text;
using FileServer.Cli;
using FileServer.Tests.Support;
using Mono.Unix.Native;

namespace FileServer.Tests.Cli;

/// <summary>
/// Standard output and error written as the console writes them: at the descriptor's shared offset, so two streams on
/// one file (<c>&gt; log 2&gt;&amp;1</c>) append after each other instead of over each other; and a reader that went
/// away costs the line, not the server.
/// </summary>
public sealed class DescriptorWriteStreamTests
{
    [Test]
    public void TwoDescriptorsOfOneFile_AppendAfterEachOther()
    {
        using var tree = new TempTree();
        var path = tree.PathOf("log");
        var output = Syscall.open(path, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, FilePermissions.S_IRUSR | FilePermissions.S_IWUSR);
        Assert.That(output, Is.GreaterThanOrEqualTo(0));
        var error = Syscall.dup(output);
        try
        {
            using var stdout = new StreamWriter(new DescriptorWriteStream(output)) { AutoFlush = true };
            using var stderr = new StreamWriter(new DescriptorWriteStream(error)) { AutoFlush = true };
            for (var i = 0; i < 50; i++)
            {
                stdout.WriteLine($"out {i}");
                stderr.WriteLine($"err {i}");
            }
        }
        finally
        {
            _ = Syscall.close(error);
            _ = Syscall.close(output);
        }

        var expected = Enumerable.Range(0, 50).SelectMany(i => new[] { $"out {i}", $"err {i}" });
        Assert.That(File.ReadAllLines(path), Is.EqualTo(expected));
    }

    [Test]
    public async Task ReaderGone_DropsTheLine_WithoutThrowing()
    {
        Assert.That(Syscall.pipe(out var read, out var write), Is.Zero);
        _ = Syscall.close(read);
        try
        {
            using var stream = new DescriptorWriteStream(write);
            var line = Encoding.UTF8.GetBytes("nobody reads this\n");

            Assert.DoesNotThrow(() => stream.Write(line));
            await stream.WriteAsync(line);
        }
        finally
        {
            _ = Syscall.close(write);
        }
    }

    [Test]
    public void EveryByteOfALargeWrite_ArrivesThroughAPipe()
    {
        Assert.That(Syscall.pipe(out var read, out var write), Is.Zero);
        var payload = new byte[1 << 20];
        Random.Shared.NextBytes(payload);
        using var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(read, ownsHandle: true), FileAccess.Read);
        var received = Task.Run(() =>
        {
            using var copy = new MemoryStream();
            reader.CopyTo(copy);
            return copy.ToArray();
        });
        using (var stream = new DescriptorWriteStream(write))
        {
            // More than a pipe holds (64 KiB): write(2) returns short counts, and each remainder is written in turn.
            stream.Write(payload);
        }
        _ = Syscall.close(write);

        Assert.That(received.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(received.Result, Is.EqualTo(payload));
    }
}
