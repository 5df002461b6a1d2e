using System.Buffers;

namespace FileServer.Serving;

/// <summary>Bytes in an array rented from <see cref="ArrayPool{T}.Shared"/>; disposing returns the array.</summary>
internal readonly struct PooledBytes : IDisposable
{
    private readonly byte[] _array;
    private readonly int _length;

    /// <summary>Wraps the first <paramref name="length"/> bytes of a rented <paramref name="array"/>.</summary>
    public PooledBytes(byte[] array, int length)
    {
        _array = array;
        _length = length;
    }

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, _length);

    /// <inheritdoc />
    public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
}
