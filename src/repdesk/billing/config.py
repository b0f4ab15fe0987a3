"""Paystack settings (env prefix ``REPDESK_``): the operator's account, which sells credit
top-ups, and the API address every Paystack call uses (tests and staging point it at a local
server)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class PaystackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    paystack_api_url: str = "https://api.paystack.co"
    # The operator's secret key (sk_test_… / sk_live_…). Empty: top-ups are unavailable.
    paystack_secret_key: str = ""
    # The public key (pk_…), for Paystack's inline checkout; optional.
    paystack_public_key: str = ""
    # The currencies top-ups are charged in, as the operator's Paystack account accepts them.
    paystack_currencies: str = "NGN,USD"
    paystack_timeout_seconds: float = 15.0
    # A pending top-up neither the return nor the webhook completed is verified by the
    # reconciliation after this many minutes, and given up as abandoned after the second.
    paystack_reconcile_after_minutes: int = 10
    paystack_abandon_after_minutes: int = 60

    @property
    def configured(self) -> bool:
        return bool(self.paystack_secret_key.strip())

    @property
    def currencies(self) -> tuple[str, ...]:
        items = (c.strip().upper() for c in self.paystack_currencies.split(","))
        return tuple(dict.fromkeys(c for c in items if c))


@lru_cache(maxsize=1)
def get_paystack_settings() -> PaystackSettings:
    return PaystackSettings()


def reset_paystack_settings() -> None:
    """Forget the cached settings (tests that change the environment)."""
    get_paystack_settings.cache_clear()
