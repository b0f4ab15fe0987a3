"""/api/files/{id}: a stored file, for members of the workspace that owns it."""

from __future__ import annotations

from fastapi import APIRouter, Response

from repdesk.files import service
from repdesk.kit.web import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/files", tags=["files"])


@router.get("/{file_id}")
async def get_file(file_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    """Download a stored file (media from a conversation, an upload, an avatar)."""
    stored = await service.get_for_workspace(
        session, workspace_id=principal.workspace.id, file_id=file_id
    )
    data = await service.read(stored)
    # Served as an attachment unless it is an image/audio/video, and never sniffed: a stored
    # HTML or SVG file from a customer must not run in the dashboard's origin.
    inline = (
        stored.mime_type.startswith(("image/", "audio/", "video/"))
        and "svg" not in stored.mime_type
    )
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{stored.filename or stored.id}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(data, media_type=stored.mime_type, headers=headers)
