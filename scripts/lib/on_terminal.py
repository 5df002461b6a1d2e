#!/usr/bin/env python3
"""on_terminal.py OUTPUT COLUMNS ROWS COMMAND [ARGS...]

Runs COMMAND with its standard output on a pseudo-terminal of COLUMNS x ROWS, as a person's terminal would be, and
copies what it draws into OUTPUT. COMMAND replaces this process (exec): the same PID for the caller to signal, watch
in /proc and wait for, and the same session. script(1) would give a terminal too, but in a session of its own, and
Linux's autogroup scheduling gives every session its own share of the CPUs: a server measured under script(1)
would be scheduled unlike one started directly. The copier is a detached process (not a child of COMMAND, so not
counted as part of it) that ends when the terminal closes, that is when COMMAND and anything it started are gone.
"""
import fcntl
import os
import struct
import sys
import termios


def copy_until_closed(master: int, output: str) -> None:
    with open(output, "wb", buffering=0) as sink:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the terminal's other end has closed it
                return
            if not data:
                return
            sink.write(data)


def main() -> int:
    if len(sys.argv) < 5:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    output, columns, rows, command = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    master, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    if os.fork() == 0:
        # Forked twice so that the copier is nobody's child here; it holds none of the caller's descriptors.
        if os.fork() == 0:
            os.close(terminal)
            null = os.open(os.devnull, os.O_RDWR)
            for descriptor in (0, 1, 2):
                os.dup2(null, descriptor)
            copy_until_closed(master, output)
        os._exit(0)
    os.wait()
    os.close(master)
    os.dup2(terminal, 1)
    os.close(terminal)
    os.execvp(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main())
