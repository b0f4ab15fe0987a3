"""A shop owner, in a real browser: builds a two-condition segment, watches the live count
change after each condition, saves it and finds it in the list with its count."""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from repdesk.contacts.models import Contact, ContactTag
from tests.conftest import LiveServer
from tests.factories import create_account, create_assistant

pytestmark = pytest.mark.browser
SCREENSHOT = os.environ.get("REPDESK_SEGMENTS_SCREENSHOT")  # a path, to look at the page

PEOPLE = [  # name, total spent (kobo), tags
    ("Ada", 9_000_000, ["vip"]),
    ("Bola", 6_000_000, []),
    ("Chidi", 1_000_000, ["vip"]),
    ("Dayo", 0, []),
    ("Efe", 7_500_000, []),
]


def _seed(url: str) -> str:
    from repdesk.db.engine import Database

    async def run() -> str:
        db = Database(url)
        try:
            _user, ws = await create_account(
                db, email="owner@shop.example", password="a-long-password"
            )
            assistant = await create_assistant(db, workspace_id=ws.id, name="Sales bot")
            async with db.transaction() as s:
                for i, (name, spent, tags) in enumerate(PEOPLE):
                    c = Contact(
                        assistant_id=assistant.id,
                        name=name,
                        phone=f"+23480100000{i:02d}",
                        total_spent=spent,
                        orders_count=1 if spent else 0,
                    )
                    s.add(c)
                    await s.flush()
                    s.add_all(
                        ContactTag(contact_id=c.id, tag=t, assistant_id=assistant.id) for t in tags
                    )
            return assistant.id
        finally:
            await db.dispose()

    # Playwright's sync API owns this thread's event loop: seed from another thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def _count(page: Any, expected: str) -> None:
    page.locator("[data-testid=segment-count]").filter(
        has_text=re.compile(f"^{expected}$")
    ).wait_for()


def test_build_a_two_condition_segment_watch_the_count_and_save_it(
    live_server: LiveServer, page: Any
) -> None:
    assistant_id = _seed(live_server.app.state.db.url)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("owner@shop.example")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/dashboard"))

    page.goto(f"{live_server.url}/assistants/{assistant_id}")
    page.get_by_role("link", name="Segments").first.click()
    page.get_by_role("heading", name="Segments", exact=True).wait_for()
    _count(page, "5")  # no condition yet: everyone

    # condition 1: total spent more than ₦50,000
    page.get_by_role("button", name="+ Add condition (AND)").click()
    row = page.locator("[data-testid=segment-condition]").nth(0)
    row.get_by_label("Field").select_option(label="Total spent")
    row = page.locator("[data-testid=segment-condition]").nth(0)
    assert row.get_by_label("Operator").input_value() == "gt"
    row.get_by_label("Value").fill("50,000")
    _count(page, "3")
    assert set(page.locator("[data-testid=segment-sample] li").all_text_contents()) == {
        "Ada", "Bola", "Efe",
    }  # fmt: skip

    # condition 2: has the tag vip
    page.get_by_role("button", name="+ Add condition (AND)").click()
    row = page.locator("[data-testid=segment-condition]").nth(1)
    row.get_by_label("Field").select_option(label="Tags")
    row = page.locator("[data-testid=segment-condition]").nth(1)
    row.get_by_label("Value").fill("vip")
    _count(page, "1")
    assert page.locator("[data-testid=segment-sample] li").all_text_contents() == ["Ada"]

    page.get_by_label("Segment name").fill("VIPs who spent over ₦50,000")
    page.get_by_role("button", name="Save segment").click()
    page.get_by_text("Saved VIPs who spent over ₦50,000: 1 contacts now.").wait_for()
    table = page.locator("[data-testid=segment-table]")
    saved = table.get_by_role("row").filter(has_text="VIPs who spent over ₦50,000")
    assert saved.locator("[data-testid=segment-row-count]").text_content() == "1"

    # edit brings the two conditions back, with the same count
    saved.get_by_role("link", name="Edit").click()
    _count(page, "1")
    assert page.locator("[data-testid=segment-condition]").count() == 2
    assert (
        page.locator("[data-testid=segment-condition]").nth(0).get_by_label("Value").input_value()
        == "50000"
    )

    # the builder fits a phone's width (390 px) with its conditions shown
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _count(page, "1")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)
