using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FileServer.Cli.Logging;
using FileServer.Hosting;
using FileServer.Tests.Support;
using Microsoft.Extensions.Logging;
using Mono.Unix.Native;

namespace FileServer.Tests.Cli;

/// <summary>
/// The command's log formats: access lines parsed back in each layout with hostile paths and user agents, JSON log
/// lines each valid JSON with their event id and properties, the access log file reopened on SIGHUP without losing a
/// line, and a sink too slow for the traffic dropping lines instead of holding anyone up.
/// </summary>
public sealed partial class LogFormatTests
{
    private static readonly AccessRecord Hostile = new(
        "[::1]:40000", new DateTimeOffset(2026, 12, 4, 3, 4, 5, TimeSpan.Zero), "GET", "/a\"b\\c\u00e9 d?x=\"1\"", "HTTP/1.1", 206, 1234, 17, "sendfile",
        "http://ref/\"x\"", "evil \"agent\"\n127.0.0.1 - - forged", "bytes=0-9", "TLSv1.3");

    [Test]
    public void Common_ParsesBack_WithEveryQuoteEscaped()
    {
        var line = AccessLineWriter.Format(Hostile, AccessLogFormat.Common);
        var match = CommonPattern().Match(line);
        Assert.Multiple(() =>
        {
            Assert.That(line.Count(c => c == '\n'), Is.EqualTo(1), "one line, however the fields look");
            Assert.That(match.Success, Is.True, line);
            Assert.That(match.Groups["host"].Value, Is.EqualTo("::1"));
            Assert.That(match.Groups["time"].Value, Is.EqualTo("04/Dec/2026:03:04:05 +0000"));
            Assert.That(match.Groups["request"].Value, Is.EqualTo("GET /a\\x22b\\x5Cc\\xE9 d?x=\\x221\\x22 HTTP/1.1"));
            Assert.That(match.Groups["status"].Value, Is.EqualTo("206"));
            Assert.That(match.Groups["bytes"].Value, Is.EqualTo("1234"));
        });
    }

    [Test]
    public void Combined_AddsRefererAndUserAgent_AsQuotedFields()
    {
        var line = AccessLineWriter.Format(Hostile, AccessLogFormat.Combined);
        var match = CombinedPattern().Match(line);
        Assert.Multiple(() =>
        {
            Assert.That(match.Success, Is.True, line);
            Assert.That(match.Groups["referer"].Value, Is.EqualTo("http://ref/\\x22x\\x22"));
            Assert.That(match.Groups["agent"].Value, Is.EqualTo("evil \\x22agent\\x22\\x0A127.0.0.1 - - forged"));
        });
    }

    [Test]
    public void Json_HoldsEveryFieldAsIs()
    {
        var line = AccessLineWriter.Format(Hostile, AccessLogFormat.Json);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(line.TrimEnd('\n'), Does.Not.Contain('\n'));
            Assert.That(root.GetProperty("time").GetString(), Is.EqualTo("2026-12-04T03:04:05.000Z"));
            Assert.That(root.GetProperty("client").GetString(), Is.EqualTo("::1"));
            Assert.That(root.GetProperty("target").GetString(), Is.EqualTo(Hostile.Target));
            Assert.That(root.GetProperty("user_agent").GetString(), Is.EqualTo(Hostile.UserAgent));
            Assert.That(root.GetProperty("status").GetInt32(), Is.EqualTo(206));
            Assert.That(root.GetProperty("bytes").GetInt64(), Is.EqualTo(1234));
            Assert.That(root.GetProperty("duration_ms").GetInt64(), Is.EqualTo(17));
            Assert.That(root.GetProperty("body_path").GetString(), Is.EqualTo("sendfile"));
            Assert.That(root.GetProperty("range").GetString(), Is.EqualTo("bytes=0-9"));
            Assert.That(root.GetProperty("tls").GetString(), Is.EqualTo("TLSv1.3"));
        });
    }

    [Test]
    public async Task JsonLogLines_AreEachValidJson_WithEventIdAndProperties()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        using var server = CliProcess.StartWithOpenFileLimit(4096, 4096, tree.PathOf("root"), "--log-format", "json", "--log-level", "Debug");
        using (var http = new HttpClient { BaseAddress = server.Url })
        {
            await http.GetStringAsync("a.txt");
            using var missing = await http.GetAsync("missing");
        }
        // The 404's access line is the last one the traffic makes: once it is there, every line is.
        Assert.That(await server.WaitForLogAsync("\"Status\":404", TimeSpan.FromSeconds(30)), Is.Not.Null);
        Assert.That(server.Stop(TimeSpan.FromSeconds(30)), Is.Zero);
        var lines = server.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var events = lines.Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.That(events.Select(e => e.GetProperty("eventId").GetInt32()), Does.Contain(1).And.Contains(2));
        foreach (var e in events)
        {
            Assert.That(e.GetProperty("timestamp").GetString(), Does.EndWith("Z"));
            Assert.That(e.GetProperty("level").GetString(), Is.Not.Empty);
            Assert.That(e.GetProperty("category").GetString(), Does.StartWith("FileServer"));
            Assert.That(e.GetProperty("message").GetString(), Is.Not.Empty);
        }
        var access = events.First(e => e.GetProperty("eventId").GetInt32() == 2 && e.GetProperty("state").GetProperty("Status").GetInt32() == 404);
        Assert.That(access.GetProperty("state").GetProperty("Target").GetString(), Is.EqualTo("/missing"));
        var started = events.First(e => e.GetProperty("eventId").GetInt32() == 1);
        Assert.That(started.GetProperty("eventName").GetString(), Is.EqualTo("Started"));
        Assert.That(started.GetProperty("state").GetProperty("Platform").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task AccessLogFile_IsReopenedOnSighup_AndNoLineIsLost()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        var log = tree.PathOf("access.log");
        using var server = CliProcess.StartWithOpenFileLimit(4096, 4096, tree.PathOf("root"), "--access-log", log, "--access-log-format", "combined");
        using var http = new HttpClient { BaseAddress = server.Url };
        for (var i = 0; i < 20; i++)
        {
            await http.GetStringAsync($"a.txt?before={i}");
        }
        File.Move(log, log + ".1");
        server.Signal(Signum.SIGHUP);
        Assert.That(await server.WaitForLogAsync("reopening the access log", TimeSpan.FromSeconds(30)), Is.Not.Null);
        for (var i = 0; i < 30; i++)
        {
            await http.GetStringAsync($"a.txt?after={i}");
        }
        Assert.That(server.Stop(TimeSpan.FromSeconds(30)), Is.Zero, "the stop writes what is queued");
        var rotated = File.ReadAllLines(log + ".1");
        var fresh = File.ReadAllLines(log);
        Assert.Multiple(() =>
        {
            Assert.That(rotated.Length + fresh.Length, Is.EqualTo(50), "every line in one file or the other");
            Assert.That(fresh.Count(l => l.Contains("?after=", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(1), "new lines go to the new file");
            Assert.That(rotated.Concat(fresh), Has.All.Match(CombinedPattern().ToString()));
        });
    }

    [Test]
    public async Task AccessLogFile_IsWritten_WhateverTheLogLevel()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        var log = tree.PathOf("access.log");
        using var server = CliProcess.StartWithOpenFileLimit(4096, 4096, tree.PathOf("root"), "--log-level", "Warning", "--access-log", log, "--access-log-format", "json");
        using (var http = new HttpClient { BaseAddress = server.Url })
        {
            await http.GetStringAsync("a.txt?quiet");
        }
        Assert.That(server.Stop(TimeSpan.FromSeconds(30)), Is.Zero, "the stop writes what is queued");
        var lines = File.ReadAllLines(log);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(1), "the access log is apart from the diagnostics' level");
            Assert.That(JsonDocument.Parse(lines[0]).RootElement.GetProperty("target").GetString(), Is.EqualTo("/a.txt?quiet"));
            Assert.That(server.Log, Does.Not.Contain("info:"), "while Information events stay off stderr");
        });
    }

    [Test]
    public void SlowSink_DropsAndCounts_AndNeverHoldsTheLogger()
    {
        using var gate = new ManualResetEventSlim(false);
        var sink = new AccessLogSink(null, AccessLogFormat.Common, new BlockingStream(gate));
        var logger = sink.CreateLogger(FileServerHost.AccessLogCategory);
        // The writer is stuck in its first write; every call below must still return at once.
        for (var i = 0; i < 40_000; i++)
        {
            logger.Log(LogLevel.Information, new EventId(2, "Access"), Hostile, null, AccessRecord.Format);
        }
        Assert.That(sink.Dropped, Is.GreaterThan(0), "past the bounded queue, lines are dropped and counted");
        gate.Set();
        sink.Dispose();
    }

    [GeneratedRegex("^(?<host>\\S+) - - \\[(?<time>[^\\]]+)\\] \"(?<request>[^\"]*)\" (?<status>\\d{3}) (?<bytes>\\d+)$")]
    private static partial Regex CommonPattern();

    [GeneratedRegex("^(?<host>\\S+) - - \\[(?<time>[^\\]]+)\\] \"(?<request>[^\"]*)\" (?<status>\\d{3}) (?<bytes>\\d+) \"(?<referer>[^\"]*)\" \"(?<agent>[^\"]*)\"$")]
    private static partial Regex CombinedPattern();

    // A stream whose writes wait until the gate opens: a disk that has stopped.
    private sealed class BlockingStream(ManualResetEventSlim gate) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set { } }
        public override void Flush() => gate.Wait();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => gate.Wait();
    }
}
