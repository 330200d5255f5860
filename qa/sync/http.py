"""Polite HTTP for syncing: one client per sync, one request at a time per host, retries.

Every request names the project in its User-Agent, has timeouts, waits on 429 and 5xx answers
(honouring `Retry-After`, within a cap) and on dropped connections, and follows redirects only
inside the site it was asked about. Only http and https URLs are fetched.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from qa.errors import SourceURLError, SyncError

log = logging.getLogger(__name__)

USER_AGENT = "newsdesk-qa/0.1 (archive sync; +https://github.com/newsdesk-qa/newsdesk-qa)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_REDIRECTS = 5
MAX_BODY_BYTES = 50 * 1024 * 1024

# One lock per host for the whole process: the background sync and a sync started from the
# app never hit one site with two requests at once.
_host_locks: dict[str, threading.Lock] = {}
_host_locks_guard = threading.Lock()


def check_url(url: str) -> str:
    """`url` if it is an absolute http(s) URL.

    Raises:
        SourceURLError: any other scheme (file:, ftp:, javascript: ...) or no host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SourceURLError(f"Not a http(s) URL: {url!r}; give a site, feed or sitemap as http(s)://...")
    return url.strip()


def site_of(url: str) -> str:
    """scheme-less host[:port] of a URL, the unit of politeness and of "the same site"."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _same_site(a: str, b: str) -> bool:
    host_a, host_b = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    strip = lambda h: h[4:] if h.startswith("www.") else h  # noqa: E731
    return strip(host_a.lower()) == strip(host_b.lower()) and urlsplit(b).scheme in ("http", "https")


def _host_lock(url: str) -> threading.Lock:
    with _host_locks_guard:
        return _host_locks.setdefault(site_of(url), threading.Lock())


@dataclass(frozen=True)
class Response:
    """A complete response: the final URL (after redirects), status, headers and body."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers), "replace")


def _charset(headers: httpx.Headers) -> str:
    for part in headers.get("content-type", "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class HttpSettings:
    """How politely and how long to try."""

    timeout: float = 30.0
    attempts: int = 4
    backoff: float = 1.0  # first wait; doubled each retry
    max_wait: float = 60.0  # a longer Retry-After is not waited for: the sync fails, to run later


class Fetcher:
    """GETs with retries, within-site redirects and a per-host lock; counts requests and bytes.

    Args:
        settings: timeouts and retry policy.
        sleep: how to wait (tests pass a recorder; default time.sleep).
    """

    def __init__(self, settings: HttpSettings | None = None, *, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings or HttpSettings()
        self._sleep = sleep
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.settings.timeout, connect=min(10.0, self.settings.timeout)),
            follow_redirects=False,
        )
        self.requests = 0
        self.bytes = 0
        self.history: list[tuple[str, int, int]] = []  # (url, status, bytes received) per request

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(
        self, url: str, *, params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None, ok: tuple[int, ...] = (200,),
    ) -> Response:
        """GET `url`; a status in `ok` is returned, anything else raises.

        Raises:
            SourceURLError: `url` is not http(s).
            SyncError: the host cannot be reached, keeps failing after the retries, redirects
                off the site, or answers a status outside `ok`.
        """
        check_url(url)
        start = url
        for _ in range(MAX_REDIRECTS + 1):
            response = self._get_with_retries(url, params, headers)
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                target = urljoin(response.url, response.headers["location"])
                if not _same_site(start, target):
                    raise SyncError(f"{start} redirects to another site ({target}); sync that URL instead")
                url, params = target, None
                continue
            if response.status not in ok:
                raise SyncError(f"{response.url} answered HTTP {response.status}{_detail(response)}")
            return response
        raise SyncError(f"{start} redirects more than {MAX_REDIRECTS} times")

    def _get_with_retries(
        self, url: str, params: Mapping[str, str | int] | None, headers: Mapping[str, str] | None
    ) -> Response:
        wait = self.settings.backoff
        problem = ""
        for attempt in range(1, self.settings.attempts + 1):
            try:
                with _host_lock(url):
                    response = self._get_once(url, params, headers)
            except httpx.TransportError as exc:  # refused, reset, timed out, cut short
                problem = _transport_problem(exc)
                delay = wait
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                problem = f"HTTP {response.status}"
                asked = retry_after(response.headers.get("retry-after"))
                if asked is not None and asked > self.settings.max_wait:
                    raise SyncError(
                        f"{site_of(url)} asks to wait {asked:.0f} s ({problem} with Retry-After) "
                        f"at {response.url}; sync again later"
                    )
                delay = wait if asked is None else max(asked, 0.0)
            if attempt == self.settings.attempts:
                break
            log.info("%s: %s; retrying in %.1f s (attempt %d of %d)",
                     url, problem, delay, attempt + 1, self.settings.attempts)
            self._sleep(delay)
            wait *= 2
        raise SyncError(
            f"Cannot sync from {site_of(url)}: {problem} at {url} after {self.settings.attempts} "
            "attempts; check that the site is up, then sync again"
        )

    def _get_once(
        self, url: str, params: Mapping[str, str | int] | None, headers: Mapping[str, str] | None
    ) -> Response:
        with self._client.stream("GET", url, params=params, headers=headers) as stream:
            self.requests += 1
            body = bytearray()
            for piece in stream.iter_bytes():
                body.extend(piece)
                if len(body) > MAX_BODY_BYTES:
                    raise SyncError(f"{stream.url} sends more than {MAX_BODY_BYTES:,} bytes; skipped")
            self.bytes += stream.num_bytes_downloaded
            self.history.append((str(stream.url), stream.status_code, stream.num_bytes_downloaded))
            return Response(str(stream.url), stream.status_code, stream.headers, bytes(body))


def _transport_problem(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection refused or host not found"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was cut before the whole answer arrived"
    return type(exc).__name__


def _detail(response: Response) -> str:
    if "json" in response.headers.get("content-type", ""):
        snippet = response.text[:200].replace("\n", " ")
        return f" ({snippet})"
    return ""
