"""An owner in a real browser: teaches text and a document, watches the index catch up, sees
contradicting prices flagged, adds a policy and a product."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.factories import seed_owner
from tests.knowledge.pdfgen import make_pdf

pytestmark = pytest.mark.browser


def test_owner_teaches_knowledge_and_sees_contradictions(
    live_server: LiveServer, page, database_url: str, tmp_path: Path
) -> None:
    assistant_id = seed_owner(database_url, email="ada@shop.test", name="Ada Sales")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Email").fill("ada@shop.test")
    page.get_by_label("Password").fill("a-long-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard")

    page.goto(f"{live_server.url}/assistants/{assistant_id}")
    page.get_by_role("link", name="Knowledge").first.click()
    page.get_by_role("heading", name="Knowledge", exact=True).wait_for()

    add_text = page.locator("form", has=page.locator("input[name=type][value=text]"))
    add_text.get_by_label("Title").fill("Delivery")
    add_text.get_by_label("Text").fill("Delivery within Lagos costs ₦2,000 and takes 2 days.")
    add_text.get_by_role("button", name="Add text").click()
    page.get_by_text("Knowledge added.").wait_for()
    # The in-process worker re-indexes; the page polls the status and updates the badge.
    page.get_by_test_id("index-state").filter(has_text="Up to date").wait_for(timeout=30000)

    pdf = tmp_path / "prices.pdf"
    pdf.write_bytes(make_pdf(["Price list", "Delivery in Lagos is N3,500."]))
    page.locator("input[type=file][name=file]").set_input_files(str(pdf))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("Uploaded prices.pdf").wait_for()
    table = page.get_by_test_id("knowledge-table")
    assert "prices.pdf" in table.inner_text() and "Delivery" in table.inner_text()

    page.get_by_test_id("contradictions").get_by_text("possible contradiction").wait_for(
        timeout=30000
    )
    flags = page.get_by_test_id("contradictions").inner_text()
    assert "₦2,000" in flags and "N3,500" in flags

    page.get_by_label("A customer asks").fill("how much to deliver in lagos")
    page.get_by_role("button", name="Find").click()
    assert "Lagos" in page.get_by_test_id("search-hits").inner_text()

    page.get_by_role("link", name="FAQs & policies").click()
    page.get_by_label("Kind").select_option("returns")
    page.get_by_label("Question").fill("Can I return an item?")
    page.get_by_label("Answer").fill("Yes, within 7 days.")
    page.get_by_role("button", name="Add").click()
    assert "Returns policy" in page.get_by_test_id("faq-table").inner_text()

    page.get_by_role("link", name="Catalog").click()
    form = page.get_by_test_id("product-form")
    form.get_by_label("Name").fill("Ankara Maxi Dress")
    form.get_by_label("Price").fill("25000")
    form.get_by_label("Variants").fill("Small; Large=27000!")
    form.get_by_role("button", name="Add product").click()
    row = page.get_by_test_id("product-table").inner_text()
    assert "Ankara Maxi Dress" in row and "₦25,000.00" in row and "Large · ₦27,000.00 · out" in row
