"""An attacker's HTTP client, a real SMTP inbox, and one-time codes."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email
import email.message
import hashlib
import hmac
import http.client
import http.cookies
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from support.processes import free_port


@dataclasses.dataclass(frozen=True)
class Reply:
    """One HTTP answer: status, headers (case-insensitive), body, seconds taken."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def form_body(fields: Mapping[str, str | bytes]) -> bytes:
    """A urlencoded form of any values: bytes as given, lone surrogates kept."""
    return "&".join(
        f"{urllib.parse.quote(name)}="
        + urllib.parse.quote_from_bytes(
            value
            if isinstance(value, bytes)
            else value.encode("utf-8", "surrogatepass")
        )
        for name, value in fields.items()
    ).encode("ascii")


class HttpClient:
    """An attacker's HTTP client: keeps cookies, never follows redirects, sends bytes
    as given (invalid UTF-8, NUL, CR/LF), and can speak from any loopback address.

    Linux answers on all of 127.0.0.0/8, so `source="127.0.0.7"` is a different
    client address for the server's per-address limits: one test can play several
    clients, or one attacker spread over many. Cookies are kept by name only (the
    tests speak to one server), `Secure` ones included, as behind a TLS proxy.
    """

    def __init__(
        self,
        base: str,
        source: str = "127.0.0.1",
        cookies: Mapping[str, str] | None = None,
    ) -> None:
        self.base = base
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.source = source
        self.cookies: dict[str, str] = dict(cookies or {})

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        form: Mapping[str, str | bytes] | None = None,
    ) -> Reply:
        """Send one request on a new connection (so any worker may take it)."""
        sent = dict(headers or {})
        if form is not None:
            body = form_body(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies and "Cookie" not in sent:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=60, source_address=(self.source, 0)
        )
        try:
            started = time.perf_counter()
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            seconds = time.perf_counter() - started
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep_cookie(header)
        return Reply(response.status, response.headers, data, seconds)

    def _keep_cookie(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value, _, attributes = rest.partition(";")
        attributes = attributes.lower()
        gone = "max-age=0" in attributes or "1970" in attributes
        if gone or not value or value == '""':
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, **named: str
    ) -> Reply:
        return self.request("GET", path, headers={**(headers or {}), **named})

    def post(
        self,
        path: str,
        *,
        form: Mapping[str, str | bytes] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        return self.request("POST", path, body, headers, form=form)

    def csrf_token(self, path: str) -> str:
        """The Flask-WTF CSRF token of the form on `path` (fetching it sets the
        session)."""
        reply = self.get(path)
        assert reply.status == 200, reply.text
        token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', reply.text)
        assert token, f"no CSRF token in {path}"
        return token[1]

    def submit(
        self, path: str, form: Mapping[str, str], page: str | None = None
    ) -> Reply:
        """Post `form` to `path` with the CSRF token of the form on `page` (`path`)."""
        token = self.csrf_token(page or path)
        return self.post(path, form={**form, "csrf_token": token})

    def post_form(
        self,
        path: str,
        fields: Mapping[str, str | bytes],
        csrf_from: str | None = None,
    ) -> Reply:
        """POST a form; with `csrf_from`, first GET that page for Django's CSRF
        cookie and token, as a browser would."""
        form = dict(fields)
        headers = {}
        if csrf_from is not None:
            page = self.get(csrf_from).text
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert match, f"no CSRF token on {csrf_from}"
            form["csrfmiddlewaretoken"] = match.group(1)
            headers["Referer"] = self.base + csrf_from
        return self.request("POST", path, headers=headers, form=form)


class _Inbox:
    """aiosmtpd's handler: keeps every message delivered to it."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


@contextlib.contextmanager
def smtp_inbox() -> Iterator[tuple[int, list[email.message.Message]]]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives:
    (port, messages). It stands in for Mailpit, which has no Debian package."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox.messages
    finally:
        controller.stop()


def totp_code(secret: str, period: int = 30) -> str:
    """The code an authenticator app shows now for a base32 `secret` (RFC 6238)."""
    # A code computed in a step's last moments may reach the server in the next one
    # (allauth accepts only the current step): wait for a fresh step instead.
    left = period - time.time() % period
    if left < 2:
        time.sleep(left)
    counter = int(time.time() // period).to_bytes(8, "big")
    digest = hmac.new(base64.b32decode(secret), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def mailed_link(outbox: Path, address: str, contains: str) -> str:
    """The path of the newest link holding `contains` mailed to `address`.

    Reads the folder a served app's file mail backend writes (MAIL_BACKEND=file for
    Flask-Mailman, EMAIL_BACKEND=...filebased for Django: the same format). Waits a
    little for it: Flask sends account mail once the response is out.
    """
    deadline = time.monotonic() + 10
    while True:
        messages = []
        for path in sorted(outbox.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
            messages.extend(path.read_text().split("-" * 79))
        links = [
            urllib.parse.urlsplit(url)
            for message in messages
            if re.search(rf"^To: {re.escape(address)}$", message, re.MULTILINE)
            for url in re.findall(r"https?://\S+", message)
            if contains in url
        ]
        if links or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert links, f"no mail to {address} with a {contains!r} link in {outbox}"
    newest = links[-1]
    return newest.path + (f"?{newest.query}" if newest.query else "")


def cost_ratio(known: Sequence[float], unknown: Sequence[float]) -> float:
    """How much longer `known` takes than `unknown`, robust to a loaded machine.

    Other work on the machine only ever adds time, and it comes in bursts that hit a
    few samples, not a side (the two are taken interleaved). So the fastest quarter of
    each side is closest to the work it does: the ratio of the lower quartiles, not
    of medians or means, which one burst moves. A leak (a password hashed for known
    accounts only) shows as 20x or more; equal work stays near 1.
    """
    import statistics

    def lower_quartile(times: Sequence[float]) -> float:
        return statistics.quantiles(times, n=4, method="inclusive")[0]

    return lower_quartile(known) / lower_quartile(unknown)
