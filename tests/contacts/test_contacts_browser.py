"""The Contacts pages in a real browser: import a CSV with bad rows (preview, mapping,
progress, the refused rows), find the contacts in the list, filter, bulk tag, and open a
contact's page; the list works on a phone-sized screen."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from repdesk.db.engine import Database
from tests.conftest import LiveServer
from tests.contacts.helpers import inbound
from tests.factories import create_account, create_assistant

pytestmark = pytest.mark.browser

EMAIL, PASSWORD = "contacts-browser@shop.test", "correct horse battery"
CSV = (
    "Phone,Name,Tags,City\n"
    "0803 123 4567,Ada Obi,vip,Lagos\n"
    "12,Too Short,,\n"
    "08031234568,Bola,,Abuja\n"
    ",Nobody,,\n"
)


def run(coro: Any) -> Any:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def setup(database_url: str, email: str = EMAIL) -> str:
    db = Database(database_url)
    try:
        # its own email per test: on PostgreSQL the live server's database is not truncated
        _, ws = await create_account(db, email=email, password=PASSWORD)
        assistant = await create_assistant(db, workspace_id=ws.id, name="Shop")
        await inbound(db, assistant.id, phone="+2348039999999", name="Chi", text="thanks 😍")
        return assistant.id
    finally:
        await db.dispose()


def login(page: Any, server: LiveServer, email: str = EMAIL) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/dashboard"))


def test_import_list_and_contact_page(
    live_server: LiveServer, page: Any, database_url: str, tmp_path: Path
) -> None:
    aid = run(setup(database_url))
    login(page, live_server)
    page.goto(f"{live_server.url}/assistants/{aid}/contacts")
    page.get_by_role("link", name="Contacts", exact=True).wait_for()
    assert page.locator("[data-testid=contact-row]").count() == 1

    page.get_by_role("link", name="Import CSV").click()
    csv_file = tmp_path / "customers.csv"
    csv_file.write_text(CSV)
    page.get_by_test_id("import-file").set_input_files(str(csv_file))
    preview = page.get_by_test_id("import-preview")
    preview.locator("tbody tr").nth(2).wait_for()
    assert preview.locator("tbody tr").count() == 4
    assert page.get_by_label("Column Phone").input_value() == "phone"
    assert page.get_by_label("Column City").input_value() == "attribute:city"
    page.get_by_test_id("start-import").click()
    status = page.get_by_test_id("import-status")
    status.filter(has_text="Done").wait_for()
    assert "2 created" in status.inner_text() and "2 refused" in status.inner_text()
    errors = page.get_by_test_id("import-errors")
    assert errors.locator("tbody tr").count() == 2
    assert "phone" in errors.inner_text().lower()

    page.goto(f"{live_server.url}/assistants/{aid}/contacts?sort=name")
    rows = page.locator("[data-testid=contact-row]")
    assert rows.count() == 3
    assert rows.nth(0).inner_text().strip().startswith("Ada Obi")
    page.get_by_label("Search").fill("bola")
    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url(re.compile(r".*q=bola.*"))
    assert page.locator("[data-testid=contact-row]").count() == 1

    page.goto(f"{live_server.url}/assistants/{aid}/contacts?sort=name")
    page.get_by_label("Select all").check()
    page.get_by_test_id("bulk-tag").fill("june-promo")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Tagged 3 contacts.").wait_for()
    page.get_by_role("link", name="Ada Obi").click()
    page.get_by_test_id("contact-name").wait_for()
    tags = [t.inner_text() for t in page.get_by_test_id("contact-tag").all()]
    assert tags == ["vip", "june-promo"]
    assert page.get_by_test_id("purchase-behaviour").inner_text() == "never"
    assert "Lagos" in page.get_by_test_id("free-attributes").inner_text()
    page.get_by_role("button", name="Opt out of marketing").click()
    page.get_by_test_id("optout-state").filter(has_text="Opted out").wait_for()
    page.get_by_label("New note").fill("Prefers delivery after 5pm")
    page.get_by_role("button", name="Add note").click()
    page.get_by_test_id("note").filter(has_text="after 5pm").wait_for()
    page.get_by_role("link", name="Exact formulas").click()
    page.get_by_text("round(40 × recency").wait_for()


def test_contacts_list_fits_a_phone(
    live_server: LiveServer, browser: Any, database_url: str
) -> None:
    aid = run(setup(database_url, "phone@shop.test"))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    try:
        login(pg, live_server, "phone@shop.test")
        pg.goto(f"{live_server.url}/assistants/{aid}/contacts")
        pg.locator("[data-testid=contact-row]").first.wait_for()
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
    finally:
        context.close()
