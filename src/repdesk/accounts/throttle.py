"""Login throttling that an attacker cannot turn against the account's owner.

Three counters, each a list of fixed windows (``"5/minute;10/10 minutes;20/hour"``), counted on
every attempt before the password is checked (so concurrent guesses cannot slip past a check):

- per client IP, any email (``login_rate_limit``): one address spraying many accounts;
- per (email, IP) (``login_email_ip_limit``), cleared when that IP signs in: guessing one
  account's password from one place. Refused attempts count too, so hammering moves the wait
  from the shortest window to the longest: the backoff grows;
- per email, only for IPs that have never signed in to it (``login_email_limit``): guessing
  from many places. An IP that has signed in before (accounts.models.LoginIP) skips this
  counter, so the owner still gets in while the account is under attack from elsewhere.

The counters live in the app's limiter (memory, or Redis shared by the replicas).
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse_many
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts import service
from repdesk.config import Settings
from repdesk.kit.errors import RateLimited
from repdesk.kit.ratelimit import Limiter


def _rules(value: str) -> list[RateLimitItem]:
    return list(parse_many(value)) if value.strip() else []


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"


def _email_ip_key(email: str, ip: str) -> str:
    return f"login:email-ip:{email}|{ip}"


async def check(
    session: AsyncSession, limiter: Limiter, settings: Settings, *, email: str, ip: str
) -> None:
    """Count this attempt; raise ``RateLimited`` (429 with ``Retry-After``) if any counter is
    past its limit."""
    email = service.normalize_email(email)
    counters = [
        (settings.login_rate_limit, f"login:ip:{ip}"),
        (settings.login_email_ip_limit, _email_ip_key(email, ip)),
    ]
    if not await service.is_known_login_ip(session, email=email, ip=ip):
        counters.append((settings.login_email_limit, f"login:email:{email}"))
    now = int(time.time())
    wait = 0
    for rules, key in counters:
        for rule in _rules(rules):
            decision = await limiter.hit(rule, key)
            if not decision.allowed:
                wait = max(wait, decision.reset_at - now, 1)
    if wait:
        raise RateLimited(
            f"Too many sign-in attempts. Try again in {_wait_text(wait)}.",
            headers={"Retry-After": str(wait)},
        )


async def succeeded(limiter: Limiter, settings: Settings, *, email: str, ip: str) -> None:
    """A correct password from ``ip``: its failed attempts on this email are forgiven."""
    key = _email_ip_key(service.normalize_email(email), ip)
    for rule in _rules(settings.login_email_ip_limit):
        await limiter.clear(rule, key)
