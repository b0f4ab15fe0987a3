"""The assistant named in a route's path, scoped to the signed-in workspace (404 otherwise)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from repdesk.assistants import service
from repdesk.assistants.models import Assistant
from repdesk.kit.web import PagePrincipalDep, PrincipalDep, SessionDep


async def api_assistant(
    assistant_id: str, session: SessionDep, principal: PrincipalDep
) -> Assistant:
    return await service.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )


async def page_assistant(
    assistant_id: str, session: SessionDep, principal: PagePrincipalDep
) -> Assistant:
    return await service.get_or_404(
        session, workspace_id=principal.workspace.id, assistant_id=assistant_id
    )


# ``/api/assistants/{assistant_id}/…`` routes (401 when not signed in).
AssistantDep = Annotated[Assistant, Depends(api_assistant)]
# ``/assistants/{assistant_id}/…`` pages (to the login page when not signed in).
PageAssistantDep = Annotated[Assistant, Depends(page_assistant)]
