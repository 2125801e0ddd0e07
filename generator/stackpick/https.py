"""Reading one small file over HTTPS within deadlines (a team preset by URL).

A preset server may be slow, stalled or hostile, and `check` runs in CI on pull
requests: so the connection has a connect and an idle deadline (each read), the whole
fetch a total deadline (a server dripping one byte at a time is cut off too), the body
a size cap, and a redirect may only lead to another https:// URL. The deadline is
`STACKPICK_NETWORK_TIMEOUT` seconds; every failure is one line naming the URL.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urljoin, urlsplit

from stackpick.deadlines import DEFAULT_NETWORK_TIMEOUT, NETWORK_TIMEOUT_ENV, seconds
from stackpick.errors import StackpickError
from stackpick.files import MAX_BYTES

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}


class Unreachable(StackpickError):
    """The URL cannot be read (offline, refused, too slow, not found)."""


def fetch(url: str, limit: int = MAX_BYTES) -> bytes:
    """The body of `url` (https only), at most `limit` bytes, within the deadlines."""
    deadline = seconds(NETWORK_TIMEOUT_ENV, DEFAULT_NETWORK_TIMEOUT)
    ends = time.monotonic() + deadline
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        _require_https(current, url)
        status, location, body = _get(current, deadline, ends, limit)
        if status in REDIRECTS and location:
            current = urljoin(current, location)
            continue
        if status != 200:
            raise Unreachable(f"cannot fetch {url}: HTTP {status}")
        return body
    raise Unreachable(f"cannot fetch {url}: more than {MAX_REDIRECTS} redirects")


def _require_https(current: str, asked: str) -> None:
    if urlsplit(current).scheme.lower() != "https":
        if current == asked:
            raise StackpickError(
                f"{asked}: only https:// URLs are read (not plain http)"
            )
        raise Unreachable(
            f"cannot fetch {asked}: it redirects to {current}, which is not https://"
        )


def _get(
    url: str, idle: float, ends: float, limit: int
) -> tuple[int, str | None, bytes]:
    """One GET: (status, Location header, body); the body only for a 200."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    conn = http.client.HTTPSConnection(
        parts.hostname or "",
        parts.port,
        timeout=min(idle, max(0.1, ends - time.monotonic())),
        context=ssl.create_default_context(),
    )
    cutoff = None
    try:
        conn.connect()
        # The total deadline: shut the socket down, which ends any blocked read.
        # (This socket object: http.client drops its own reference on a "close".)
        cutoff = threading.Timer(max(0.0, ends - time.monotonic()), _shut, [conn.sock])
        cutoff.daemon = True
        cutoff.start()
        conn.request("GET", path, headers={"User-Agent": "stackpick"})
        response = conn.getresponse()
        if response.status != 200:
            return response.status, response.getheader("Location"), b""
        body = _body(response, url, limit)
        if time.monotonic() >= ends:  # the deadline shut the socket: cut off
            raise TimeoutError
        if response.length:  # the server closed the connection early
            raise http.client.IncompleteRead(body, response.length)
        return 200, None, body
    except (OSError, http.client.HTTPException) as error:
        if time.monotonic() >= ends:
            raise Unreachable(
                f"cannot fetch {url}: no complete answer within {idle:g} s "
                f"(set {NETWORK_TIMEOUT_ENV} to wait longer)"
            ) from None
        reason: object = error
        if isinstance(error, TimeoutError):
            reason = f"no answer for {idle:g} s (set {NETWORK_TIMEOUT_ENV})"
        raise Unreachable(f"cannot fetch {url}: {reason}") from None
    finally:
        if cutoff is not None:
            cutoff.cancel()
        conn.close()


def _body(response: http.client.HTTPResponse, url: str, limit: int) -> bytes:
    """Read the body a chunk at a time (`read1`: one receive each), capped."""
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise StackpickError(
            f"{url} is larger than {limit // 1024} KiB; is it the right file?"
        )
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise StackpickError(
                f"{url} is larger than {limit // 1024} KiB; is it the right file?"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _shut(sock: socket.socket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
