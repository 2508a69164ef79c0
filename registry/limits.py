"""Rate limits per API key (the `limits` library), shared through Redis when several servers run.

The `limits` library counts; this module only says whose budget a request spends. Flask-Limiter,
built on the same library, resolved and parsed its limits again on every request: a fifth of a
list request's time here, for the one limit per key that contract §2 asks for.
"""

import logging
import math
import threading
import time

from flask import Flask, Response, g, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger("registry.limits")
SHARED_RETRY_SECONDS = 5  # after the shared storage fails, count locally this long


class LazyMemoryStorage(MemoryStorage):
    """limits' memory storage, sweeping expired counters once a second, not every 10 ms.

    The stock storage starts a new timer thread on nearly every hit, which cost about 1.5 ms
    of a 3 ms list request here; counters are checked for expiry when read either way.
    """

    STORAGE_SCHEME = ["registry-memory"]

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 (overrides a private hook)
        if not self.timer.is_alive():
            self.timer = threading.Timer(1.0, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


def _storage_uri(configured: str) -> str:
    return "registry-memory://" if configured.startswith("memory://") else configured


class RateLimit:
    """One budget per key (per address on the few public /api paths), in fixed windows.

    The setting may name several windows (`10/second;600/minute`); a request needs room in all.
    """

    def __init__(self, limits: str, storage_uri: str, prefix: str) -> None:
        self.items: list[RateLimitItem] = parse_many(limits)
        self.prefix = prefix
        self.shared = FixedWindowRateLimiter(storage_from_string(_storage_uri(storage_uri)))
        # A lost Redis must not stop the API: each server counts alone until it is back.
        self.local = FixedWindowRateLimiter(LazyMemoryStorage())
        self.shared_failed_at = -math.inf

    def _limiter(self) -> RateLimiter:
        failed_lately = time.monotonic() - self.shared_failed_at < SHARED_RETRY_SECONDS
        return self.local if failed_lately else self.shared

    def spend(self, who: str) -> tuple[RateLimitItem, bool, int, float]:
        """Spend one request of who's budget in every window.

        Returns the tightest window: (it, allowed, requests remaining, when it resets).
        """
        limiter = self._limiter()
        try:
            windows = []
            for item in self.items:
                allowed = limiter.hit(item, self.prefix, who)
                reset_at, remaining = limiter.get_window_stats(item, self.prefix, who)
                windows.append((allowed, remaining, -reset_at, item))
                if not allowed:
                    break
        except limiter.storage.base_exceptions:
            log.warning("rate limit storage unreachable; counting in this process for now")
            self.shared_failed_at = time.monotonic()
            return self.spend(who)
        allowed, remaining, reset_at, item = min(windows, key=lambda w: w[:3])
        return item, allowed, remaining, -reset_at


def _who() -> str:
    # After authorize(): a key's requests share one budget whichever server answers them.
    key_id = g.get("key_id")
    return f"key:{key_id}" if key_id else f"ip:{request.remote_addr}"


def init_app(app: Flask) -> RateLimit:
    """Limit /api requests; must follow auth.init_app (the budget is the key's)."""
    limit = RateLimit(
        app.config["RATE_LIMIT"],
        app.config["RATE_LIMIT_STORAGE"],
        app.config.get("RATE_LIMIT_PREFIX", "registry"),
    )

    def check() -> None:
        if not request.path.startswith("/api/") or request.method == "OPTIONS":
            return
        item, allowed, remaining, reset_at = limit.spend(_who())
        retry_after = max(1, math.ceil(reset_at - time.time()))
        g.rate_limit_headers = {
            "X-RateLimit-Limit": str(item.amount),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(math.ceil(reset_at)),
        }
        if not allowed:
            raise TooManyRequests(
                f"Over the limit of {item}; try again in {retry_after} s.",
                retry_after=retry_after,
            )

    def add_headers(response: Response) -> ResponseReturnValue:
        response.headers.update(g.get("rate_limit_headers", {}))
        return response

    app.before_request(check)
    app.after_request(add_headers)
    return limit
