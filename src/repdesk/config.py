"""Settings, read from the environment with the ``REPDESK_`` prefix.

Domains that need their own knobs declare a small settings class of their own with the same
prefix (see ``channels/whatsapp/config.py``) so that this file does not become everyone's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str = ""  # empty: SQLite file under data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # empty: http://{host}:{port}
    secret_key: str = ""  # master key for secrets at rest; generated into data_dir when empty
    redis_url: str = ""  # empty: in-process event bus and memory rate limits
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    # Reverse proxies / load balancers whose X-Forwarded-For is believed (IPs or CIDRs,
    # comma-separated). Empty: the header is ignored and the socket's peer is the client.
    trusted_proxies: str = ""

    # Jobs
    worker_in_process: bool = True
    worker_concurrency: int = 4
    # Database connections a process keeps open (PostgreSQL). Requests and jobs that find all
    # in use get up to as many again, which are closed when returned; too small a pool opens
    # and closes connections under load. Default: 20 for a web process; a worker keeps its
    # concurrency plus 4.
    db_pool_size: int = 0
    job_lease_seconds: int = 60
    job_poll_interval: float = 0.5
    # PostgreSQL: commits that enqueue jobs notify the workers (LISTEN/NOTIFY), which then
    # claim at once instead of at their next poll.
    job_notify: bool = True

    # Email
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["none", "starttls", "ssl"] = "none"
    email_from: str = "repdesk <no-reply@localhost>"

    # Accounts
    signup_credits: int = 20
    max_assistants: int = 100
    # Login throttling (accounts/throttle.py); each a list of windows, every attempt counted:
    # per client IP, any email;
    login_rate_limit: str = "20/minute;200/hour"
    # per (email, IP), forgotten when that IP signs in; each window a longer wait;
    login_email_ip_limit: str = "5/minute;10/10 minutes;20/hour"
    # per email, from IPs that have never signed in to it (known IPs are never locked out).
    login_email_limit: str = "10/10 minutes;50/day"
    session_days: int = 14
    cookie_secure: bool | None = None  # None: secure when public_url is https

    # Developer webhooks (used by developer_api)
    allow_private_webhooks: bool = False

    # Extra modules to import at start-up (plugins: more job kinds, event consumers, routes).
    extra_modules: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        from repdesk.kit.clientip import parse_networks

        parse_networks(value)
        return value

    @property
    def resolved_database_url(self) -> str:
        url = self.database_url.strip()
        if not url:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'repdesk.db').resolve()}"
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url[len("postgresql://") :]
        if url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")


_current: Settings | None = None


def get_settings() -> Settings:
    """The process's settings: those the app was created with, else read from the environment."""
    global _current
    if _current is None:
        _current = Settings()
    return _current


def use_settings(settings: Settings | None) -> None:
    global _current
    _current = settings
