"""One bounded HTTP POST for every integration: a time limit, one retry at most, no URL in any message.

A webhook URL is a secret (Slack's and Teams' carry their key in the path), and ``requests`` puts
the URL in its exception texts, so an error is described by its kind and the channel's name only,
never by ``str(exc)``. Retries: once, after a refused connection (nothing was delivered) or an
answer of 429, 502, 503 or 504; never after a timeout (the message may have arrived).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

#: Seconds to connect and seconds to wait for the answer.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
MAX_RETRIES = 1
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: The longest answer body kept (for the receiver's own error text; never logged raw).
MAX_ANSWER = 2000


class DeliveryError(Exception):
    """An integration that did not accept what was sent; the text names no URL."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    data: Any = None


def check_url(url: str, what: str) -> None:
    """Refuse a URL that is not http(s) with a host (the message does not repeat it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"{what}: the URL is not an http(s) URL with a host")


class Sender:
    """POSTs (and GETs) with the policy above; ``session`` and ``sleep`` are the test seams."""

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        retry_wait: float = 1.0,
    ) -> None:
        self._session = session or requests.Session()
        self._session.trust_env = False  # no proxy or .netrc credentials from the runner
        self._sleep = sleep
        self._timeout = (connect_timeout, read_timeout)
        self._retry_wait = retry_wait

    def send(
        self,
        method: str,
        url: str,
        what: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
    ) -> Answer:
        """The answer of an accepted request, else :class:`DeliveryError` naming ``what``."""
        check_url(url, what)
        tries = 0
        while True:
            try:
                response = self._session.request(
                    method,
                    url,
                    data=body,
                    headers=dict(headers or {}),
                    auth=auth,
                    params=dict(params or {}),
                    timeout=self._timeout,
                    allow_redirects=False,
                )
            except requests.Timeout:
                raise DeliveryError(
                    f"{what}: no answer within {self._timeout[1]:g} s (not retried: it may have arrived)"
                ) from None
            except requests.ConnectionError:
                if tries < MAX_RETRIES:
                    tries += 1
                    self._sleep(self._retry_wait)
                    continue
                raise DeliveryError(f"{what}: could not connect (tried {tries + 1} times)") from None
            except requests.RequestException as exc:
                raise DeliveryError(f"{what}: the request failed ({type(exc).__name__})") from None
            status = response.status_code
            text = response.text[:MAX_ANSWER] if response.content else ""
            if status in ok:
                try:
                    data = response.json() if text.strip()[:1] in ("{", "[") else None
                except ValueError:
                    data = None
                return Answer(status, text, data)
            if status in RETRY_STATUSES and tries < MAX_RETRIES:
                tries += 1
                self._sleep(self._retry_wait)
                continue
            again = f" (after {tries} retry)" if tries else ""
            raise DeliveryError(f"{what}: answered {status}{again}")
