"""Dashboard pages: Knowledge, and FAQs & policies. Pages call the knowledge services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from repdesk.assistants.deps import PageAssistantDep
from repdesk.dashboard import nav
from repdesk.dashboard.render import back_on_error, redirect, render
from repdesk.kit.web import PagePrincipalDep, SessionDep
from repdesk.knowledge import retrieval, service
from repdesk.knowledge.config import get_knowledge_settings
from repdesk.knowledge.routes import index_status
from repdesk.knowledge.text import split_faq

pages = APIRouter(include_in_schema=False)

nav.add_assistant("Knowledge", "/knowledge", 20)
nav.add_assistant("FAQs & policies", "/faqs", 21)

KIND_LABELS = {"text": "Text", "qa": "Q&A", "faq_paste": "Pasted FAQ", "file": "Document"}
CATEGORY_LABELS = {
    "general": "FAQ",
    "shipping": "Shipping policy",
    "returns": "Returns policy",
    "hours": "Opening hours",
    "payment": "Payment policy",
    "other": "Other policy",
}


@pages.get("/assistants/{assistant_id}/knowledge")
async def knowledge_page(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    q: str = "",
    cursor: str | None = None,
) -> Response:
    items, has_more, nxt = await service.list_items(
        session, assistant_id=assistant.id, limit=50, cursor=cursor
    )
    counts = await service.chunk_counts(
        session, assistant_id=assistant.id, source_ids=[i.id for i in items]
    )
    status = await index_status(session, assistant.id)
    hits = (
        await retrieval.search(session, assistant_id=assistant.id, query=q[:500], k=5)
        if q.strip()
        else []
    )
    ctx = {
        "assistant": assistant,
        "items": items,
        "counts": counts,
        "has_more": has_more,
        "next_cursor": nxt,
        "status": status,
        "kind_labels": KIND_LABELS,
        "q": q,
        "hits": hits,
        "max_mb": get_knowledge_settings().knowledge_max_upload_mb,
    }
    return render(request, "knowledge/knowledge.html", ctx)


@pages.post("/assistants/{assistant_id}/knowledge/add")
async def knowledge_add(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    type: Annotated[str, Form()] = "text",
    title: Annotated[str, Form()] = "",
    content: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    answer: Annotated[str, Form()] = "",
) -> Response:
    here = f"/assistants/{assistant.id}/knowledge"
    back_on_error(request, here)
    if type == "qa":
        await service.create_qa(
            session, assistant_id=assistant.id, question=question, answer=answer
        )
        flash = "Q&A pair added."
    elif type == "faq_paste":
        item = await service.create_faq_paste(
            session, assistant_id=assistant.id, content=content, title=title
        )
        n = len(split_faq(item.content))
        flash = f"Added {n} questions and answers." if n else "Added as text (no Q/A shape found)."
    else:
        await service.create_text(session, assistant_id=assistant.id, title=title, content=content)
        flash = "Knowledge added."
    return redirect(here, flash=flash + " Re-indexing…")


@pages.post("/assistants/{assistant_id}/knowledge/upload")
async def knowledge_upload(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    principal: PagePrincipalDep,
    file: Annotated[UploadFile | None, File()] = None,
    title: Annotated[str, Form()] = "",
) -> Response:
    here = f"/assistants/{assistant.id}/knowledge"
    if file is None or not file.filename:
        return redirect(here, error="Choose a PDF, DOCX or TXT file to upload.")
    limit = get_knowledge_settings().knowledge_max_upload_mb * 1024 * 1024
    data = await file.read(limit + 1)
    back_on_error(request, here, prefix=f"{file.filename}: ")
    await service.create_file(
        session,
        workspace_id=principal.workspace.id,
        assistant_id=assistant.id,
        filename=file.filename,
        data=data,
        title=title,
    )
    return redirect(here, flash=f"Uploaded {file.filename}. Reading it…")


@pages.get("/assistants/{assistant_id}/knowledge/{item_id}/edit")
async def knowledge_edit_page(
    assistant: PageAssistantDep,
    item_id: str,
    request: Request,
    session: SessionDep,
) -> Response:
    item = await service.get_item_or_404(session, assistant_id=assistant.id, item_id=item_id)
    ctx = {"assistant": assistant, "item": item, "kind_labels": KIND_LABELS}
    return render(request, "knowledge/edit.html", ctx)


@pages.post("/assistants/{assistant_id}/knowledge/{item_id}/edit")
async def knowledge_edit_submit(
    assistant: PageAssistantDep,
    item_id: str,
    request: Request,
    session: SessionDep,
    title: Annotated[str | None, Form()] = None,
    content: Annotated[str | None, Form()] = None,
    question: Annotated[str | None, Form()] = None,
    answer: Annotated[str | None, Form()] = None,
) -> Response:
    item = await service.get_item_or_404(session, assistant_id=assistant.id, item_id=item_id)
    back = f"/assistants/{assistant.id}/knowledge/{item.id}/edit"
    done = f"/assistants/{assistant.id}/knowledge"
    back_on_error(request, back)  # a half-applied edit is rolled back with the request
    await service.update_item(
        session, item, title=title, content=content, question=question, answer=answer
    )
    return redirect(done, flash="Saved. Re-indexing…")


@pages.post("/assistants/{assistant_id}/knowledge/{item_id}/delete")
async def knowledge_delete(
    assistant: PageAssistantDep,
    item_id: str,
    request: Request,
    session: SessionDep,
) -> Response:
    item = await service.get_item_or_404(session, assistant_id=assistant.id, item_id=item_id)
    await service.delete_item(session, item)
    return redirect(f"/assistants/{assistant.id}/knowledge", flash=f"Deleted “{item.title}”.")


# FAQs and policies ---------------------------------------------------------------------------


@pages.get("/assistants/{assistant_id}/faqs")
async def faqs_page(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    edit: str = "",
) -> Response:
    faqs = await service.list_faqs(session, assistant_id=assistant.id)
    status = await index_status(session, assistant.id)
    editing = next((f for f in faqs if f.id == edit), None)
    ctx = {
        "assistant": assistant,
        "faqs": faqs,
        "status": status,
        "categories": CATEGORY_LABELS,
        "editing": editing,
    }
    return render(request, "knowledge/faqs.html", ctx)


@pages.post("/assistants/{assistant_id}/faqs/save")
async def faq_save(
    assistant: PageAssistantDep,
    request: Request,
    session: SessionDep,
    faq_id: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    answer: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "general",
) -> Response:
    here = f"/assistants/{assistant.id}/faqs"
    back_on_error(request, here)
    if faq_id:
        faq = await service.get_faq_or_404(session, assistant_id=assistant.id, faq_id=faq_id)
        await service.update_faq(session, faq, question=question, answer=answer, category=category)
        flash = "Saved."
    else:
        await service.create_faq(
            session,
            assistant_id=assistant.id,
            question=question,
            answer=answer,
            category=category,
        )
        flash = "Added."
    return redirect(here, flash=flash + " Re-indexing…")


@pages.post("/assistants/{assistant_id}/faqs/{faq_id}/delete")
async def faq_delete(
    assistant: PageAssistantDep,
    faq_id: str,
    request: Request,
    session: SessionDep,
) -> Response:
    faq = await service.get_faq_or_404(session, assistant_id=assistant.id, faq_id=faq_id)
    await service.delete_faq(session, faq)
    return redirect(f"/assistants/{assistant.id}/faqs", flash="Deleted.")
