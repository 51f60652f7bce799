"""Closing a connection so that the last answer arrives: a lingering close, as nginx does.

Closing a socket whose peer is still sending makes the kernel answer with a reset, and a reset
can destroy the answer on its way (the client then sees "socket hang up" or "Remote end closed
connection without response" instead of, say, a 401). So when the service closes a connection
it first sends TLS close_notify and a FIN (the answer is complete), then keeps reading and
throwing away what the peer still sends until the peer closes, falls silent for LINGER_TIMEOUT,
or LINGER_TIME has passed; only then is the socket closed. Nothing read is stored.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time

from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, SSLIOStream

LINGER_TIME = 10.0  # at most this long in all (nginx: lingering_time 30 s)
LINGER_TIMEOUT = 2.0  # and at most this long without a byte (nginx: lingering_timeout 5 s)
_SCRAP = bytearray(65536)  # one buffer for all: what is read is thrown away
_LINGERING: set[_Lingerer] = set()  # event-loop thread only


def lingering_close(sock: socket.socket) -> None:
    """Close `sock` gracefully (see module docstring); returns at once, the rest runs on the
    current IOLoop. Any failure just closes the socket."""
    try:
        if isinstance(sock, ssl.SSLSocket):
            with contextlib.suppress(ssl.SSLError, OSError, ValueError):
                sock.unwrap()  # sends close_notify; the peer's need not be awaited
            raw = socket.socket(fileno=sock.detach())
        else:
            raw = sock
        raw.setblocking(False)
        raw.shutdown(socket.SHUT_WR)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            sock.close()
        return
    _Lingerer(raw, IOLoop.current())


class _Lingerer:
    def __init__(self, sock: socket.socket, loop: IOLoop) -> None:
        self.sock, self.loop = sock, loop
        self.deadline = time.monotonic() + LINGER_TIME
        self.timer = loop.call_later(LINGER_TIMEOUT, self.close)
        loop.add_handler(sock.fileno(), self.on_readable, IOLoop.READ)
        _LINGERING.add(self)

    def on_readable(self, fd, events) -> None:
        try:
            n = self.sock.recv_into(_SCRAP)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            n = 0
        if n == 0 or time.monotonic() >= self.deadline:
            self.close()
            return
        self.loop.remove_timeout(self.timer)
        self.timer = self.loop.call_later(LINGER_TIMEOUT, self.close)

    def close(self) -> None:
        _LINGERING.discard(self)
        self.loop.remove_timeout(self.timer)
        with contextlib.suppress(OSError, ValueError, KeyError):
            self.loop.remove_handler(self.sock.fileno())
        self.sock.close()


def close_lingering(loop: IOLoop | None = None) -> None:
    """Close every socket still lingering on `loop` (default: the current one): a server
    that stops must not leave them behind its closed event loop."""
    loop = loop or IOLoop.current()
    for lingerer in [x for x in _LINGERING if x.loop is loop]:
        lingerer.close()


class LingeringIOStream(IOStream):
    """An IOStream whose close() lingers (plain HTTP: the managed-identity endpoint)."""

    def close_fd(self) -> None:
        lingering_close(self.socket)
        self.socket = None  # as IOStream.close_fd leaves it: later calls see a closed stream


class LingeringSSLIOStream(SSLIOStream):
    """An SSLIOStream whose close() sends close_notify and lingers (the ACS port)."""

    def close_fd(self) -> None:
        lingering_close(self.socket)
        self.socket = None  # as IOStream.close_fd leaves it: later calls see a closed stream
