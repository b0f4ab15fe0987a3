from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from repdesk.accounts.email import deliver
from repdesk.config import Settings
from repdesk.logs import JsonFormatter, redact
from repdesk.vault import SecretBox, SecretError
from tests.fakes.smtp import SmtpServer


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.text == "ok"
    r = await client.get("/readyz")
    assert r.status_code == 200 and r.json() == {"ready": True, "database": "ok"}


async def test_readiness_fails_when_migrations_are_missing(tmp_path: Path) -> None:
    from repdesk.app import create_app

    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/empty.db", worker_in_process=False
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.get("/readyz")
    assert r.status_code == 503 and r.json()["database"] == "migrations pending"


async def test_openapi_document_lists_the_management_api(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/api/openapi.json")).json()
    paths = doc["paths"]
    for path in (
        "/api/auth/register",
        "/api/auth/verify",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/workspace",
        "/api/assistants",
        "/api/assistants/{assistant_id}",
        "/api/billing/transactions",
    ):
        assert path in paths, path
    assert set(paths["/api/assistants/{assistant_id}"]) >= {"get", "patch", "delete"}


async def test_unknown_routes_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/nope")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
    r = await client.put("/api/auth/login", json={})
    assert r.status_code == 405 and set(r.json()) == {"code", "message", "docs"}


async def test_email_goes_through_real_smtp_when_configured(settings: Settings) -> None:
    server = SmtpServer()
    server.start()
    try:
        smtp = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": server.port,
                "email_from": "repdesk <noreply@shop.example>",
            }
        )
        await deliver("ada@shop.example", "Verify", "Open https://x/verify?token=abc", smtp)
    finally:
        server.stop()
    assert len(server.messages) == 1
    msg = server.messages[0]
    assert msg["To"] == "ada@shop.example" and msg["Subject"] == "Verify"
    assert "verify?token=abc" in msg.get_payload()
    assert not (settings.data_dir / "outbox").exists()


def test_secrets_are_masked_in_logs() -> None:
    line = "token=EAAGabcdefghijklmnop key rep_live_abcdef123456 Authorization: Bearer sk-abcdefghijklmnop"
    out = redact(line)
    assert "abcdefghijklmnop" not in out and "abcdef123456" not in out
    assert "rep_live_***" in out
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "password=%s", ("hunter2-hunter2",), None
    )
    assert "hunter2" not in JsonFormatter().format(record)


def test_vault_encrypts_with_a_key_id_and_supports_rotation(tmp_path: Path) -> None:
    old = SecretBox.from_config("", tmp_path)  # generates a key file
    token = old.encrypt("EAAG-secret-token")
    assert "EAAG" not in token and token.startswith("v1:")
    assert (tmp_path / "secret.key").exists()
    new_key = "ab" * 32  # hex of 32 bytes
    rotated_box = SecretBox.from_config(
        f"{new_key},{(tmp_path / 'secret.key').read_text().strip()}", tmp_path
    )
    assert rotated_box.decrypt(token) == "EAAG-secret-token"
    rotated = rotated_box.rotate(token)
    assert rotated.split(":")[1] == rotated_box.primary != old.primary
    with pytest.raises(SecretError):
        old.decrypt(rotated)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(SecretError):
        old.decrypt(tampered)


def test_cli_creates_a_verified_user_from_any_directory(tmp_path: Path) -> None:
    env = {
        "REPDESK_DATA_DIR": str(tmp_path / "data"),
        "PATH": "/usr/bin:/bin",
        "REPDESK_LOG_FORMAT": "text",
    }
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = str(root / "src")
    argv = ["user", "create", "--email", "op@shop.example", "--password", "long-password"]

    def create_user() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "repdesk.cli", *argv, "--business", "Ops"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    run = create_user()
    assert run.returncode == 0, run.stderr
    assert "created op@shop.example (verified)" in run.stdout
    again = create_user()
    assert again.returncode == 1 and "already exists" in again.stderr
    assert (tmp_path / "data" / "repdesk.db").exists()


@pytest.mark.parametrize("module", ["repdesk.cli", "repdesk"])
def test_python_dash_m_knows_the_commands_domains_register(module: str, tmp_path: Path) -> None:
    """``python -m repdesk.cli`` once ran a second copy of the CLI module, whose registry the
    domains never filled: ``eval`` was an "invalid choice"."""
    root = Path(__file__).resolve().parents[1]
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(root / "src"),
        "REPDESK_DATA_DIR": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-m", module, "eval", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "usage: repdesk eval" in run.stdout


def test_serve_with_several_processes_shares_one_port_and_one_key(
    database_url: str, tmp_path: Path
) -> None:
    import os
    import time

    from tests.fakes.server import free_port

    port = free_port()
    root = Path(__file__).resolve().parents[1]
    env = dict(
        os.environ,
        REPDESK_DATABASE_URL=database_url,
        REPDESK_DATA_DIR=str(tmp_path),
        REPDESK_SECRET_KEY="",
        PYTHONPATH=str(root / "src"),
    )
    cmd = [sys.executable, "-m", "repdesk.cli", "serve", "--port", str(port), "--no-migrate"]
    proc = subprocess.Popen(
        [*cmd, "--no-worker", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if r.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve --workers 2 did not come up"
            time.sleep(0.2)
        assert r.json() == {"ready": True, "database": "ok"}
        kids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(stat[1]) == proc.pid:
                    kids.append(entry.name)
        assert len(kids) >= 2  # two web processes (plus multiprocessing's helper, if any)
        assert [p.name for p in tmp_path.glob("secret.key*")] == ["secret.key"]
    finally:
        proc.terminate()
        proc.wait(20)
