using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace FileServer.Metrics;

/// <summary>
/// Listens to one meter's instruments and keeps what the Prometheus text format (0.0.4) needs: a sum per counter and
/// tag set, a value per up-down counter, buckets, sum and count per histogram. Observable instruments are read at
/// each <see cref="Render"/>. Names become Prometheus names (<c>fileserver.bytes_sent</c> → <c>fileserver_bytes_sent</c>,
/// counters with <c>_total</c>, units in seconds or bytes appended as Prometheus does).
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    private static readonly double[] Bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string Tags), Series> _series = new();

    /// <summary>Collects every instrument of the meter named <paramref name="meterName"/>.</summary>
    public MetricsCollector(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The metrics in the Prometheus text exposition format.</summary>
    public string Render()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        // Grouped by name, not by instrument: two servers in one process have a meter each, and one family.
        foreach (var family in _series.GroupBy(s => s.Key.Instrument.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var instrument = family.First().Key.Instrument;
            var name = PrometheusName(instrument);
            var type = instrument switch
            {
                Histogram<double> => "histogram",
                Counter<long> or ObservableCounter<long> => "counter",
                _ => "gauge",
            };
            text.Append("# HELP ").Append(name).Append(' ').Append(instrument.Description).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            foreach (var tagged in family.GroupBy(s => s.Key.Tags).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                Series.Merge(tagged.Select(s => s.Value)).Write(text, name, tagged.Key, type);
            }
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = (instrument, Labels(tags));
        var series = _series.GetOrAdd(key, static (k) => new Series(k.Instrument is Histogram<double> ? Bounds.Length + 1 : 0));
        series.Add(value, instrument is ObservableCounter<long> or ObservableGauge<long>, Bounds);
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return "";
        }
        var sorted = tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal);
        return string.Join(',', sorted.Select(t => $"{t.Key.Replace('.', '_')}=\"{Escape(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\""));
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string PrometheusName(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        name += instrument.Unit switch
        {
            "s" => "_seconds",
            "By" => "_bytes",
            _ => "",
        };
        return instrument is Counter<long> or ObservableCounter<long> ? name + "_total" : name;
    }

    private sealed class Series(int buckets)
    {
        private readonly Lock _gate = new();
        private readonly long[] _buckets = new long[buckets];
        private double _value;
        private long _count;

        public void Add(double value, bool replaces, double[] bounds)
        {
            lock (_gate)
            {
                _value = replaces ? value : _value + value;
                _count++;
                if (_buckets.Length > 0)
                {
                    var i = Array.FindIndex(bounds, b => value <= b);
                    _buckets[i < 0 ? bounds.Length : i]++;
                }
            }
        }

        // The sum of several instruments' series of one name and tag set.
        public static Series Merge(IEnumerable<Series> parts)
        {
            var list = parts.ToList();
            if (list.Count == 1)
            {
                return list[0];
            }
            var merged = new Series(list[0]._buckets.Length);
            foreach (var part in list)
            {
                lock (part._gate)
                {
                    merged._value += part._value;
                    merged._count += part._count;
                    for (var i = 0; i < merged._buckets.Length; i++)
                    {
                        merged._buckets[i] += part._buckets[i];
                    }
                }
            }
            return merged;
        }

        public void Write(StringBuilder text, string name, string tags, string type)
        {
            lock (_gate)
            {
                if (type != "histogram")
                {
                    Line(text, name, tags, _value);
                    return;
                }
                long cumulative = 0;
                for (var i = 0; i < _buckets.Length; i++)
                {
                    cumulative += _buckets[i];
                    var le = i < Bounds.Length ? Bounds[i].ToString(CultureInfo.InvariantCulture) : "+Inf";
                    Line(text, name + "_bucket", tags.Length == 0 ? $"le=\"{le}\"" : $"{tags},le=\"{le}\"", cumulative);
                }
                Line(text, name + "_sum", tags, _value);
                Line(text, name + "_count", tags, _count);
            }
        }

        private static void Line(StringBuilder text, string name, string tags, double value)
        {
            text.Append(name);
            if (tags.Length > 0)
            {
                text.Append('{').Append(tags).Append('}');
            }
            text.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
