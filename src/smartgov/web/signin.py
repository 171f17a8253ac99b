"""Sign-in throttling, with the `limits` library's moving windows:

* every attempt from one address counts (argon2 runs only after the check, so a flood
  of wrong passwords costs the server nothing more than the refusal);
* failed attempts on one account count, wherever they come from: once over the limit,
  even the right password is refused until the window moves on.

Sign-in (page and API) and password changes go through ``attempt``. Refusals answer
429 with Retry-After and are logged without the username or the address (a keyed
digest tells repeated refusals apart). The counts live in this process
(``memory://``) unless SMARTGOV_SIGNIN_STORAGE names a shared store (e.g.
``redis://host:6379``, with the `redis` package installed): several server processes
each count their own attempts."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from smartgov.core.errors import DomainError, FieldError, NotAuthenticated
from smartgov.core.i18n import N_
from smartgov.core.settings import Settings
from smartgov.core.users import WrongPassword

T = TypeVar("T")

log = logging.getLogger("smartgov.web.signin")


class Throttled(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            N_("Too many sign-in attempts. Try again later."),
            [FieldError("username", N_("Wait {seconds} seconds before trying again."),
                        {"seconds": retry_after})],
            429,
            "throttled",
        )  # fmt: skip
        self.retry_after = retry_after


class SignInGuard:
    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(settings.signin_storage))
        self._per_address: RateLimitItem = parse(settings.signin_limit_address)
        self._per_account: RateLimitItem = parse(settings.signin_limit_account)
        self._key = hashlib.sha256(settings.secret_key.get_secret_value().encode()).digest()

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()[:16]

    def _refuse(self, item: RateLimitItem, kind: str, key: str) -> Throttled:
        stats = self._limiter.get_window_stats(item, kind, key)
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        log.warning("sign-in throttled: %s %s, retry in %d s", kind, key, wait)
        return Throttled(wait)

    def before(self, address: str, username: str) -> None:
        """Count this attempt from ``address``; refuse it (Throttled) before any password
        is checked when the address or the account is over its limit."""
        where = self._digest("address", address)
        if not self._limiter.hit(self._per_address, "address", where):
            raise self._refuse(self._per_address, "address", where)
        account = self._digest("account", username.strip().lower())
        if not self._limiter.test(self._per_account, "account", account):
            raise self._refuse(self._per_account, "account", account)

    def failed(self, username: str) -> None:
        account = self._digest("account", username.strip().lower())
        self._limiter.hit(self._per_account, "account", account)

    def attempt(self, address: str, username: str, check: Callable[[], T]) -> T:
        """Run ``check`` (anything that verifies a password) under the limits: refused
        before it runs when over them, and a wrong password counts against the account."""
        self.before(address, username)
        try:
            return check()
        except (NotAuthenticated, WrongPassword):
            self.failed(username)
            raise
