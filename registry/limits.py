"""Rate limits per API key (Flask-Limiter), shared through Redis when several servers run."""

import threading

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage


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


def _limit_key() -> str:
    # After authorize(): a key's requests share one budget whichever server answers them.
    key_id = g.get("key_id")
    return f"key:{key_id}" if key_id else f"ip:{get_remote_address()}"


def _exempt() -> bool:
    return not request.path.startswith("/api/") or request.method == "OPTIONS"


def _configured_limit() -> str:
    return current_app.config["RATE_LIMIT"]


def _storage_uri(configured: str) -> str:
    return "registry-memory://" if configured.startswith("memory://") else configured


def init_app(app: Flask) -> Limiter:
    """One limiter per app (its storage is per app); must follow auth.init_app."""
    limiter = Limiter(
        key_func=_limit_key,
        app=app,
        default_limits=[_configured_limit],
        default_limits_exempt_when=_exempt,
        headers_enabled=True,
        storage_uri=_storage_uri(app.config["RATE_LIMIT_STORAGE"]),
        key_prefix=app.config.get("RATE_LIMIT_PREFIX", "registry"),
        swallow_errors=True,  # a lost Redis must not stop the API
        in_memory_fallback_enabled=True,
    )
    return limiter
