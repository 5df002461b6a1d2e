using System.Globalization;

namespace FileServer.Hosting;

/// <summary>Sizes as people write them on a command line: <c>65536</c>, <c>64k</c>, <c>1m</c>, <c>2g</c>, <c>256KiB</c> (binary multiples, as nginx).</summary>
internal static class ByteSize
{
    /// <summary>Parses <paramref name="text"/>; false for anything but a non-negative size that fits in a long.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }
        var digits = 0;
        while (digits < span.Length && char.IsAsciiDigit(span[digits]))
        {
            digits++;
        }
        if (digits == 0 || !long.TryParse(span[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        var shift = span[digits..].ToString().ToUpperInvariant() switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            _ => -1,
        };
        if (shift < 0 || number > (long.MaxValue >> shift))
        {
            return false;
        }
        bytes = number << shift;
        return true;
    }
}
