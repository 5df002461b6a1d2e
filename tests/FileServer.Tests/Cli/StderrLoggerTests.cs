using System.Text;
using FileServer.Cli.Logging;
using Microsoft.Extensions.Logging;

namespace FileServer.Tests.Cli;

/// <summary>
/// The stderr logger's writer: every line arrives whole and in order, lines logged together leave in a few writes
/// rather than one each, a line longer than a batch is not cut, and a stream that fails stops nobody.
/// </summary>
public sealed class StderrLoggerTests
{
    [Test]
    public void LinesLoggedTogether_AreWrittenInOrder_InFarFewerWritesThanLines()
    {
        const int Lines = 2000;
        var output = new CountingStream();
        using (var provider = new StderrLoggerProvider(output))
        {
            var log = provider.CreateLogger("FileServer.Access");
            for (var i = 0; i < Lines; i++)
            {
                log.Log(LogLevel.Information, new EventId(2), $"line {i} é", null, (s, _) => s);
            }
        }
        var lines = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(Lines));
            Assert.That(lines.Select(l => l[(l.IndexOf("] ", StringComparison.Ordinal) + 2)..]),
                Is.EqualTo(Enumerable.Range(0, Lines).Select(i => $"line {i} é")), "each line whole, UTF-8, in order");
            Assert.That(lines, Has.All.Contains(" info: FileServer.Access[2] "));
            // One write per line was the cost this guards against; 2,000 lines of ~60 bytes fit in two 64 KiB blocks.
            Assert.That(output.Writes, Is.LessThan(Lines / 20), "lines leave together");
        });
    }

    [Test]
    public void LineLongerThanABatch_IsWrittenWhole()
    {
        var message = new string('x', 200_000);
        var output = new CountingStream();
        using (var provider = new StderrLoggerProvider(output))
        {
            var log = provider.CreateLogger("FileServer");
            log.Log(LogLevel.Warning, new EventId(3), "before", null, (s, _) => s);
            log.Log(LogLevel.Warning, new EventId(3), message, null, (s, _) => s);
            log.Log(LogLevel.Warning, new EventId(3), "after", null, (s, _) => s);
        }
        var lines = output.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(3));
            Assert.That(lines[0], Does.EndWith("] before"));
            Assert.That(lines[1], Does.EndWith("] " + message));
            Assert.That(lines[2], Does.EndWith("] after"));
        });
    }

    [Test]
    public void FailingStream_NeitherBlocksLoggersNorThrows()
    {
        var output = new CountingStream { Fail = true };
        var provider = new StderrLoggerProvider(output);
        var log = provider.CreateLogger("FileServer");
        // More lines than the queue holds: were the writer to stop taking them, the loop would block for good.
        for (var i = 0; i < 10_000; i++)
        {
            log.Log(LogLevel.Information, new EventId(2), "lost", null, (s, _) => s);
        }
        Assert.DoesNotThrow(provider.Dispose);
        Assert.That(output.Writes, Is.EqualTo(1), "after the first failure nothing more is tried");
    }

    private sealed class CountingStream : Stream
    {
        private readonly MemoryStream _bytes = new();

        public bool Fail { get; init; }

        public int Writes { get; private set; }

        public string Text
        {
            get
            {
                lock (_bytes)
                {
                    return Encoding.UTF8.GetString(_bytes.ToArray());
                }
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_bytes)
            {
                Writes++;
                if (Fail)
                {
                    throw new IOException("broken pipe");
                }
                _bytes.Write(buffer);
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
