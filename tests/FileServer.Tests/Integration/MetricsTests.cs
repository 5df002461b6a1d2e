using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using FileServer.Hosting;
using FileServer.Metrics;
using FileServer.Tests.Support;

namespace FileServer.Tests.Integration;

/// <summary>
/// The meter after known traffic, read with a <see cref="MeterListener"/> as <c>dotnet-counters</c> reads it, and the
/// Prometheus text the metrics endpoint serves, checked line by line against the exposition format.
/// </summary>
[NonParallelizable]
public sealed partial class MetricsTests
{
    [Test]
    public async Task Meter_CountsRequestsBytesAndCacheHits_AfterKnownTraffic()
    {
        using var tree = new TempTree();
        tree.WriteRandom("root/big.bin", 200_000);
        tree.WriteText("root/small.txt", "small");
        await using var server = TestServer.Start(tree.PathOf("root"));
        var measured = new List<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this server's meter: other tests' servers in this process have meters of their own.
            if (instrument.Meter.Name == ServerMetrics.MeterName && ReferenceEquals(instrument.Meter, MeterOf(server)))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (measured)
            {
                measured.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            }
        });
        listener.Start();

        using (var connection = server.Connect())
        {
            connection.Get("/big.bin");
            connection.Get("/big.bin");
            connection.Get("/small.txt");
            connection.Get("/missing");
            connection.Send("HEAD /small.txt HTTP/1.1\r\nHost: t\r\n\r\n");
            connection.ReadResponse(isHead: true);
        }
        // Observed before the stop: the meter ends with its server.
        listener.RecordObservableInstruments();
        await server.DisposeAsync();

        long Sum(string name, string? tag = null, string? value = null)
        {
            lock (measured)
            {
                return measured.Where(m => m.Instrument == name && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))).Sum(m => m.Value);
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(Sum("fileserver.requests", "status_class", "2xx"), Is.EqualTo(4));
            Assert.That(Sum("fileserver.requests", "status_class", "4xx"), Is.EqualTo(1));
            Assert.That(Sum("fileserver.requests", "method", "HEAD"), Is.EqualTo(1));
            Assert.That(Sum("fileserver.sent", "body_path", "sendfile"), Is.EqualTo(400_000), "two zero-copy bodies");
            Assert.That(Sum("fileserver.connections.active"), Is.Zero, "opened and closed");
            Assert.That(Sum("fileserver.transfers.active"), Is.Zero);
            Assert.That(measured.Where(m => m.Instrument == "fileserver.open_file_cache.hits").Select(m => m.Value).LastOrDefault(), Is.EqualTo(2), "the second big.bin and the HEAD");
            Assert.That(measured.Where(m => m.Instrument == "fileserver.open_file_cache.misses").Select(m => m.Value).LastOrDefault(), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task PrometheusText_FollowsTheExpositionFormat()
    {
        using var tree = new TempTree();
        tree.WriteText("root/a.txt", "a");
        using var collector = new MetricsCollector(ServerMetrics.MeterName);
        await using var server = TestServer.Start(tree.PathOf("root"));
        await using var endpoint = new PrometheusEndpoint(0, collector.Render);
        using (var connection = server.Connect())
        {
            connection.Get("/a.txt");
            connection.Get("/nothing");
        }
        using var http = new HttpClient();
        using var response = await http.GetAsync(endpoint.Url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.Content.Headers.ContentType!.ToString(), Is.EqualTo("text/plain; version=0.0.4; charset=utf-8"));
        var declared = new HashSet<string>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.That(parts[3], Is.AnyOf("counter", "gauge", "histogram"), line);
                Assert.That(declared.Add(parts[2]), Is.True, $"one TYPE per family: {line}");
                continue;
            }
            if (line.StartsWith('#'))
            {
                Assert.That(line, Does.Match("^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$"));
                continue;
            }
            var sample = SamplePattern().Match(line);
            Assert.That(sample.Success, Is.True, $"not a sample line: {line}");
            var family = declared.FirstOrDefault(f => sample.Groups["name"].Value == f || sample.Groups["name"].Value.StartsWith(f + "_", StringComparison.Ordinal));
            Assert.That(family, Is.Not.Null, $"a sample before its TYPE: {line}");
        }
        Assert.That(text, Does.Contain("fileserver_requests_total{method=\"GET\",status_class=\"2xx\"}"));
        Assert.That(text, Does.Contain("fileserver_response_duration_seconds_bucket{le=\"+Inf\"}"));
        using var other = await http.GetAsync(new Uri(endpoint.Url, "/other"));
        Assert.That((int)other.StatusCode, Is.EqualTo(404));
    }

    private static Meter MeterOf(TestServer server) =>
        (Meter)typeof(ServerMetrics).GetField("_meter", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(server.Host.Metrics)!;

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*\\})? (-?[0-9.eE+-]+|\\+Inf|NaN)$")]
    private static partial Regex SamplePattern();
}
