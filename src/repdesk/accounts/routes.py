"""/api/auth and /api/workspace: the JSON management API for accounts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts import service, throttle
from repdesk.accounts.models import User, Workspace
from repdesk.accounts.schemas import (
    LoginRequest,
    LoginResponse,
    OkResponse,
    RegisterRequest,
    RegisterResponse,
    VerifyRequest,
    WorkspaceRead,
    WorkspaceUpdate,
)
from repdesk.assistants import service as assistants
from repdesk.config import Settings
from repdesk.kit.clientip import client_ip
from repdesk.kit.ids import token
from repdesk.kit.ratelimit import Limiter
from repdesk.kit.web import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LimiterDep,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)

router = APIRouter(prefix="/api", tags=["accounts"])


def set_login_cookies(response: Response, settings: Settings, raw_session: str) -> str:
    csrf = token(24)
    max_age = settings.session_days * 86400
    response.set_cookie(
        SESSION_COOKIE,
        raw_session,
        max_age=max_age,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        csrf,
        max_age=max_age,
        httponly=False,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    return csrf


def clear_login_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def login_throttled(
    request: Request,
    session: AsyncSession,
    limiter: Limiter,
    settings: Settings,
    *,
    email: str,
    password: str,
) -> tuple[User, Workspace, str]:
    """``service.login`` behind the login throttle (accounts.throttle), for the API and the
    login page alike."""
    ip = client_ip(request)
    await throttle.check(session, limiter, settings, email=email, ip=ip)
    result = await service.login(session, email=email, password=password, ip=ip)
    await throttle.succeeded(limiter, settings, email=email, ip=ip)
    return result


# At most this many "you already have an account" emails per address, so that signing up with
# someone's address over and over does not flood their inbox.
ACCOUNT_EXISTS_EMAILS = "3/hour"


async def sign_up(
    session: AsyncSession, limiter: Limiter, *, email: str, password: str, business_name: str
) -> None:
    """``service.sign_up`` for the API and the sign-up page alike."""
    if not await service.sign_up(
        session, email=email, password=password, business_name=business_name
    ):
        email = service.normalize_email(email)
        if (await limiter.hit(ACCOUNT_EXISTS_EMAILS, f"signup:exists:{email}")).allowed:
            await service.send_account_exists(session, email=email)


@router.post("/auth/register", status_code=201, response_model=RegisterResponse)
async def register(
    body: RegisterRequest, session: SessionDep, limiter: LimiterDep
) -> RegisterResponse:
    """Create an account: a user, its workspace (with the free sign-up credits) and a
    verification email. An address that already has an account gets the same answer and an
    email saying so (with a link to log in) instead: the answer never tells whether an
    address is registered."""
    await sign_up(
        session,
        limiter,
        email=body.email,
        password=body.password,
        business_name=body.business_name,
    )
    return RegisterResponse(email=body.email, email_verified=False)


@router.post("/auth/verify", response_model=OkResponse)
async def verify(body: VerifyRequest, session: SessionDep) -> OkResponse:
    """Verify an email address with the token from the emailed link."""
    await service.verify_email(session, body.token)
    return OkResponse()


@router.post("/auth/login", response_model=LoginResponse)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    limiter: LimiterDep,
    settings: SettingsDep,
) -> LoginResponse:
    """Log in; sets the session cookie and the ``repdesk_csrf`` cookie (send its value as
    ``X-CSRF-Token`` on state-changing /api calls)."""
    user, workspace, raw = await login_throttled(
        request, session, limiter, settings, email=body.email, password=body.password
    )
    csrf = set_login_cookies(response, settings, raw)
    return LoginResponse(
        user_id=user.id, workspace_id=workspace.id, email=user.email, csrf_token=csrf
    )


@router.post("/auth/logout", response_model=OkResponse)
async def logout(
    request: Request, response: Response, principal: PrincipalDep, session: SessionDep
) -> OkResponse:
    """End this login session."""
    await service.logout(session, request.cookies.get(SESSION_COOKIE, ""))
    clear_login_cookies(response)
    return OkResponse()


async def _workspace_read(session: SessionDep, principal: PrincipalDep) -> WorkspaceRead:
    ws = await service.get_workspace_or_404(session, principal.workspace.id)
    return WorkspaceRead(
        id=ws.id,
        business_name=ws.business_name,
        credits=ws.credits,
        created_at=ws.created_at,
        assistant_count=await assistants.count(session, ws.id),
        role=principal.role,
        timezone=ws.timezone,
    )


@router.get("/workspace", response_model=WorkspaceRead)
async def get_workspace(session: SessionDep, principal: PrincipalDep) -> WorkspaceRead:
    """The current workspace with its credit balance."""
    return await _workspace_read(session, principal)


@router.patch("/workspace", response_model=WorkspaceRead)
async def update_workspace(
    body: WorkspaceUpdate, session: SessionDep, principal: PrincipalDep
) -> WorkspaceRead:
    """Rename the business (``businessName``) or set its time zone (``timezone``, an IANA name
    such as ``Africa/Lagos``: the default of scheduled messages)."""
    ws = await service.get_workspace_or_404(session, principal.workspace.id)
    await service.update_workspace(
        session, ws, business_name=body.business_name, timezone=body.timezone
    )
    return await _workspace_read(session, principal)
