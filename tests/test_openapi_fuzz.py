"""Schemathesis over both OpenAPI documents: no request a client can send answers 5xx.

Generated requests (valid and invalid bodies, queries and paths) go to the ASGI app in-process,
signed in as a workspace owner for ``/api`` (session cookie, ``X-CSRF-Token`` and an ``Origin``
of the public URL) and with a live API key for ``/v1``. Path parameters naming the tenant's own
assistant get its real id, so handlers run past the 404. Bounded (``REPDESK_FUZZ_EXAMPLES`` per
operation) and run once per test run: on SQLite only.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

from repdesk.app import create_app
from repdesk.assistants.models import Assistant
from repdesk.config import Settings
from repdesk.db.engine import Database
from repdesk.developer_api import service as keys
from repdesk.developer_api.config import reset_api_settings
from tests.factories import create_account, create_assistant

pytestmark = pytest.mark.sqlite_only

EXAMPLES = int(os.environ.get("REPDESK_FUZZ_EXAMPLES", "5"))
EMAIL, PASSWORD = "fuzz@shop.test", "correct horse battery"
# Requests that would end the signed-in session the rest of the run needs.
SKIP = {
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/account"),
    ("POST", "/api/account/password"),
    ("POST", "/api/auth/password"),
}


@pytest.fixture
def unlimited_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The fuzzer sends faster than the Developer API's per-key limits allow."""
    for name in ("SEND", "BROADCAST", "CONTACTS_CREATE", "READS", "BURST"):
        monkeypatch.setenv(f"REPDESK_API_RATE_{name}", "1000000/minute")
    reset_api_settings()
    yield
    monkeypatch.undo()
    reset_api_settings()


async def _tenant(database_url: str) -> tuple[str, str]:
    db = Database(database_url)
    try:
        _user, ws = await create_account(db, email=EMAIL, password=PASSWORD)
        assistant = await create_assistant(db, workspace_id=ws.id, name="Fuzzed")
        async with db.transaction() as session:
            a = await session.get(Assistant, assistant.id)
            assert a is not None
            a.channel_address = "+2348000000009"
            live = await keys.create_key(session, assistant=a, name="fuzz", environment="live")
        return assistant.id, live.raw
    finally:
        await db.dispose()


def _cases(operation: Any) -> list[Any]:
    """``EXAMPLES`` generated requests for one operation (valid and invalid ones)."""
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hsettings
    from schemathesis.generation.modes import GenerationMode

    found: list[Any] = []
    modes = [GenerationMode.POSITIVE]
    if len(operation.body) or len(operation.query):
        # Invalid requests: only where there is a body or a query to get wrong (an invalid
        # path alone is slow to generate and mostly cannot be).
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:

        @given(operation.as_strategy(generation_mode=mode))
        @hsettings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def collect(case: Any) -> None:
            found.append(case)

        try:
            collect()
        except Exception:  # noqa: S112  (an operation the mode cannot generate for)
            continue
    return found


@pytest.mark.usefixtures("unlimited_api")
def test_no_generated_request_answers_5xx(settings: Settings, database_url: str) -> None:
    from schemathesis.python import asgi

    assistant_id, api_key = asyncio.run(_tenant(database_url))
    app = create_app(settings)
    failures: list[str] = []
    sent = 0
    try:
        with asgi.get_client(app) as client:
            client.headers["Origin"] = settings.public_url
            r = client.post("/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
            assert r.status_code == 200, r.text
            session_headers = {"X-CSRF-Token": r.json()["csrfToken"]}
            api_headers = {"Authorization": f"Bearer {api_key}"}
            for path, headers in (
                ("/api/openapi.json", session_headers),
                ("/v1/openapi.json", api_headers),
            ):
                schema = schemathesis.openapi.from_asgi(path, app)
                operations = [op.ok() for op in schema.get_all_operations()]
                # Deletions last, so the tenant's assistant lives through the others.
                operations.sort(key=lambda op: op.method.upper() == "DELETE")
                for operation in operations:
                    if (operation.method.upper(), operation.path) in SKIP:
                        continue
                    if operation.path.endswith("/stream"):  # server-sent events: never ends
                        continue
                    for case in _cases(operation):
                        if "assistant_id" in (case.path_parameters or {}):
                            case.path_parameters["assistant_id"] = assistant_id
                        response = case.call(session=client, headers=headers)
                        sent += 1
                        if response.status_code >= 500:
                            failures.append(
                                f"{response.status_code} {case.method} {case.formatted_path}: "
                                f"{case.as_curl_command(headers=headers)}"
                            )
    finally:
        asgi.shutdown_lifespans()
    assert sent > 500  # the fuzzer really ran (about 800 requests)
    assert failures == [], "\n".join(failures[:20])
