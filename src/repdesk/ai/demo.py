"""The demo business (``repdesk demo``, ``repdesk eval``): a Lagos fashion and beauty shop."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DEMO_PATH = Path(__file__).parent / "demo_data.json"


@lru_cache(maxsize=1)
def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
    return data


async def load_demo(session: Any, *, workspace_id: str) -> Any:
    """Create the demo assistant with knowledge, FAQs, policies, catalog and style profile
    through the knowledge, catalog and training services. Returns the assistant."""
    from repdesk.assistants import service as assistants
    from repdesk.catalog import service as catalog
    from repdesk.knowledge import service as knowledge
    from repdesk.training import service as training

    data = demo_data()
    spec = data["assistant"]
    assistant = await assistants.create(
        session,
        workspace_id=workspace_id,
        name=spec["name"],
        platform=spec["platform"],
        purpose=spec.get("purpose"),
    )
    from repdesk.orders import service as orders

    await orders.set_delivery_options(session, assistant, data["delivery"])
    for item in data["knowledge"]:
        await knowledge.create_text(
            session, assistant_id=assistant.id, title=item["title"], content=item["content"]
        )
    for item in data["faqs"]:
        await knowledge.create_faq(
            session,
            assistant_id=assistant.id,
            question=item["question"],
            answer=item["answer"],
            category="general",
        )
    for item in data["policies"]:
        await knowledge.create_faq(
            session,
            assistant_id=assistant.id,
            question=item["title"],
            answer=item["content"],
            category=item["kind"],
        )
    for p in data["products"]:
        await catalog.create_product(
            session,
            assistant_id=assistant.id,
            name=p["name"],
            price=p["price"],
            currency=p["currency"],
            description=p["description"],
            available=p["available"],
            variants=[
                catalog.VariantData(v["name"], v.get("price"), v["available"])
                for v in p["variants"]
            ],
        )
    await training.save_profile(session, assistant_id=assistant.id, profile=data["profile"])
    await session.flush()
    return assistant
