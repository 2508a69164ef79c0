"""Rate limits per API key (the `limits` library): one budget per key, whichever worker answers.

The `limits` library counts; this module only says whose budget a request spends, and where the
counters live: by default in a SQLite file in the instance folder, which every worker of the
server shares; in Redis (REGISTRY_RATE_LIMIT_STORAGE) when servers on several machines do.
Flask-Limiter, built on the same library, resolved and parsed its limits again on every
request: a fifth of a list request's time here, for the one limit per key of contract §2.
"""

import logging
import math
import os
import random
import sqlite3
import threading
import time

from flask import Flask, Response, g, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger("registry.limits")
SHARED_RETRY_SECONDS = 5  # after the shared storage fails, count locally this long
REDIS_SCHEMES = ("redis", "rediss", "redis+unix")


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


class LastWindow:
    """A storage that answers a window's count and end from the hit that just counted it.

    limits' fixed window asks the storage three times a request: the hit, then the window's
    count and its end for the response's headers. A storage whose hit returns all three
    remembers them (per thread), and the two questions after it cost nothing.
    """

    local: threading.local

    def _remember(self, key: str, hits: int, ends_at: float) -> None:
        self.local.last = (key, hits, ends_at)

    def _forget(self) -> None:
        self.local.last = None

    def _stored_window(self, key: str) -> tuple[int, float]:
        """(hits, end) of the key's window as stored, for a key that this thread did not hit
        last."""
        raise NotImplementedError

    def _window(self, key: str) -> tuple[int, float]:
        last = getattr(self.local, "last", None)
        if last is not None and last[0] == key and last[2] > time.time():
            return last[1], last[2]
        return self._stored_window(key)

    def get(self, key: str) -> int:
        return self._window(key)[0]

    def get_expiry(self, key: str) -> float:
        return self._window(key)[1]


class SQLiteStorage(LastWindow, Storage):
    """Fixed-window counters in a small SQLite file: every worker of a server (and every server
    on this machine) spends the same budget, where memory:// counts per process.

    The embedded default: `make run` starts four workers, and with memory:// a key had four
    budgets. Servers on several machines share Redis instead. The row a hit writes answers
    the window's remaining count and reset too, without reading it again.
    """

    STORAGE_SCHEME = ["registry-sqlite"]
    PURGE_CHANCE = 0.001  # now and then a hit drops the windows that ended

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions, **options)
        self.path = uri.removeprefix("registry-sqlite://")
        self.local = threading.local()

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self.local, "connection", None)
        if connection is None or self.local.pid != os.getpid():  # not across a fork
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")  # counters may be lost in a crash
            connection.execute(
                "CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, "
                "hits INTEGER NOT NULL, ends_at REAL NOT NULL) WITHOUT ROWID"
            )
            self.local.connection, self.local.pid, self.local.last = connection, os.getpid(), None
        return connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        hits, ends_at = connection.execute(
            "INSERT INTO rate_windows VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN ends_at <= ?4 THEN ?2 ELSE hits + ?2 END, "
            "ends_at = CASE WHEN ends_at <= ?4 THEN ?3 ELSE ends_at END "
            "RETURNING hits, ends_at",
            (key, amount, now + expiry, now),
        ).fetchone()
        self._remember(key, hits, ends_at)
        if random.random() < self.PURGE_CHANCE:
            connection.execute("DELETE FROM rate_windows WHERE ends_at <= ?", (now,))
        return hits

    def _stored_window(self, key: str) -> tuple[int, float]:
        row = (
            self._connection()
            .execute(
                "SELECT hits, ends_at FROM rate_windows WHERE key = ? AND ends_at > ?",
                (key, time.time()),
            )
            .fetchone()
        )
        return row or (0, time.time())

    def check(self) -> bool:
        self._connection().execute("SELECT 1")
        return True

    def reset(self) -> int | None:
        self._forget()
        return self._connection().execute("DELETE FROM rate_windows").rowcount

    def clear(self, key: str) -> None:
        self._forget()
        self._connection().execute("DELETE FROM rate_windows WHERE key = ?", (key,))


class RedisWindowStorage(LastWindow, RedisStorage):
    """limits' Redis storage, whose hit also answers the window's end: one round trip a
    request where limits makes three (the hit, then GET and TTL for the headers).

    Against a Redis on the same machine, `RateLimit.spend` of one window took 295-303 µs with
    limits' own storage and 120-164 µs with this one (20,000 spends, two runs).
    """

    STORAGE_SCHEME = [f"registry-{scheme}" for scheme in REDIS_SCHEMES]
    # limits' incr_expire.lua (a window starts at its first hit), returning the milliseconds
    # the window has left too. A counter found without an expiry gets one, not a window
    # that never ends.
    SCRIPT_HIT = """
local hits = redis.call("incrby", KEYS[1], ARGV[2])
local left = redis.call("pttl", KEYS[1])
if left < 0 then
    redis.call("expire", KEYS[1], ARGV[1])
    left = tonumber(ARGV[1]) * 1000
end
return {hits, left}
"""

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options) -> None:
        self.local = threading.local()
        super().__init__(uri.removeprefix("registry-"), wrap_exceptions=wrap_exceptions, **options)

    def initialize_storage(self, uri: str) -> None:
        super().initialize_storage(uri)
        self.lua_hit = self.get_connection().register_script(self.SCRIPT_HIT)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        hits, left_ms = self.lua_hit([self.prefixed_key(key)], [expiry, amount])
        self._remember(key, int(hits), now + int(left_ms) / 1000)
        return int(hits)

    def _stored_window(self, key: str) -> tuple[int, float]:
        return RedisStorage.get(self, key), RedisStorage.get_expiry(self, key)

    def clear(self, key: str) -> None:
        self._forget()
        super().clear(key)

    def reset(self) -> int | None:
        self._forget()
        return super().reset()


def _storage_uri(configured: str, instance_path: str) -> str:
    if not configured:  # the embedded default: shared by this machine's workers
        return f"registry-sqlite://{os.path.join(instance_path, 'rate-limits.sqlite3')}"
    scheme = configured.partition("://")[0]
    if scheme == "memory" or scheme in REDIS_SCHEMES:
        return f"registry-{configured}"
    return configured


class RateLimit:
    """One budget per key (per address on the few public /api paths), in fixed windows.

    The setting may name several windows (`10/second;600/minute`); a request needs room in all.
    """

    def __init__(self, limits: str, storage_uri: str, prefix: str) -> None:
        self.items: list[RateLimitItem] = parse_many(limits)
        self.prefix = prefix
        self.shared = FixedWindowRateLimiter(storage_from_string(storage_uri))
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
        _storage_uri(app.config["RATE_LIMIT_STORAGE"], app.instance_path),
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
