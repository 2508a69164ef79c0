"""Configuration read from the environment (contract §1)."""

import os


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


class Config:
    """Production settings; every value can be overridden by an environment variable."""

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("REGISTRY_DATABASE_URL") or ""
        self.MAX_BODY_BYTES = _int_env("REGISTRY_MAX_BODY_BYTES", 1024 * 1024)
        self.MAX_IMPORT_BYTES = _int_env("REGISTRY_MAX_IMPORT_BYTES", 256 * 1024 * 1024)
        self.RATE_LIMIT = os.environ.get("REGISTRY_RATE_LIMIT") or "600/minute"
        # Empty: a SQLite file in the instance folder, shared by this machine's workers.
        self.RATE_LIMIT_STORAGE = os.environ.get("REGISTRY_RATE_LIMIT_STORAGE") or ""
        self.DB_CONNECT_TIMEOUT = _int_env("REGISTRY_DB_CONNECT_TIMEOUT", 2)
        self.SQLITE_BUSY_TIMEOUT_MS = _int_env("REGISTRY_SQLITE_BUSY_TIMEOUT_MS", 5000)
        self.CORS_ORIGINS = [
            o.strip() for o in os.environ.get("REGISTRY_CORS_ORIGINS", "").split(",") if o.strip()
        ]
        self.TESTING = False
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False


class TestConfig(Config):
    """Tests: the database comes from the fixture, limits are generous unless a test sets them."""

    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.TESTING = True
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.RATE_LIMIT = "100000/minute"
        self.RATE_LIMIT_STORAGE = "memory://"
        # Tests run many writers in one process on a shared, busy machine.
        self.SQLITE_BUSY_TIMEOUT_MS = 15000
