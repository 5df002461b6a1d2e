using Mono.Unix.Native;

namespace FileServer.Cli;

/// <summary>
/// A write-only stream over an inherited descriptor (standard output or error) that writes with <c>write(2)</c> at
/// the descriptor's own offset, as the console's stream does. A <see cref="FileStream"/> keeps a position of its own
/// on a regular file and writes there, so with both sent to one file (<c>fileserver … &gt; log 2&gt;&amp;1</c>) each
/// would write over the other's lines.
/// </summary>
internal sealed unsafe class DescriptorWriteStream(int descriptor) : Stream
{
    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Writes all of <paramref name="buffer"/>, waiting while a non-blocking descriptor is full.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            var done = 0;
            while (done < buffer.Length)
            {
                var written = Syscall.write(descriptor, start + done, (ulong)(buffer.Length - done));
                if (written >= 0)
                {
                    done += (int)written;
                    continue;
                }
                switch (Stdlib.GetLastError())
                {
                    case Errno.EINTR:
                        continue;
                    case Errno.EAGAIN:
                        // Inherited non-blocking (a terminal or pipe shared with another program): wait for room.
                        _ = Syscall.poll([new Pollfd { fd = descriptor, events = PollEvents.POLLOUT }], 1, -1);
                        continue;
                    default:
                        // EPIPE (the reader ended), EBADF (started with it closed), EIO (the terminal went away): as
                        // with the console, the line has nowhere to go, and the server must not stop over it.
                        return;
                }
            }
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Writes at once, as the console does: a line to a terminal or pipe is not worth a thread-pool hop.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    /// <summary>Nothing is buffered here.</summary>
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
