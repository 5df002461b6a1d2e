using System.Globalization;

namespace LoadGen;

/// <summary>A command-line mistake: reported on stderr, exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message) : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>
/// <c>--name value</c> (or <c>--name=value</c>) options. Every mode reads what it knows, then
/// <see cref="EnsureAllUsed"/> rejects the rest, so a typo is an error rather than a silent default.
/// </summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public static Args Parse(IReadOnlyList<string> argv)
    {
        var args = new Args();
        for (var i = 0; i < argv.Count; i++)
        {
            var token = argv[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                throw new UsageException($"unexpected argument '{token}'");
            }
            var name = token[2..];
            string value;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            else
            {
                if (i + 1 >= argv.Count)
                {
                    throw new UsageException($"option --{name} needs a value");
                }
                value = argv[++i];
            }
            if (!args._values.TryAdd(name, value))
            {
                throw new UsageException($"option --{name} given twice");
            }
        }
        return args;
    }

    public string Required(string name) =>
        Text(name) ?? throw new UsageException($"option --{name} is required");

    public string? Text(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var value) ? value : null;
    }

    public int Int(string name, int fallback, int min, int max) => (int)Size(name, fallback, min, max);

    /// <summary>A byte count or plain number: digits with an optional k, m or g suffix (powers of 1024).</summary>
    public long Size(string name, long fallback, long min, long max)
    {
        var text = Text(name);
        if (text is null)
        {
            return fallback;
        }
        var value = ParseSize(text) ?? throw new UsageException($"--{name}: '{text}' is not a number (suffixes k, m, g allowed)");
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {value} is outside {min}..{max}");
        }
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        var text = Text(name);
        if (text is null)
        {
            return fallback;
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value))
        {
            throw new UsageException($"--{name}: '{text}' is not a number");
        }
        if (value < min || value > max)
        {
            throw new UsageException($"--{name}: {text} is outside {min}..{max}");
        }
        return value;
    }

    public void EnsureAllUsed()
    {
        foreach (var name in _values.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new UsageException($"unknown option --{name} for this mode");
            }
        }
    }

    public static long? ParseSize(string text)
    {
        var trimmed = text.Trim();
        long multiplier = 1;
        if (trimmed.Length > 1)
        {
            multiplier = char.ToLowerInvariant(trimmed[^1]) switch
            {
                'k' => 1024,
                'm' => 1024 * 1024,
                'g' => 1024 * 1024 * 1024,
                _ => 1,
            };
            if (multiplier != 1)
            {
                trimmed = trimmed[..^1];
            }
        }
        if (!long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }
        return checked(number * multiplier);
    }
}
