"""Accounts: registration, email verification, login sessions, workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from repdesk.accounts.email import queue_email
from repdesk.accounts.models import (
    AuthSession,
    EmailToken,
    LoginIP,
    Membership,
    User,
    Workspace,
)
from repdesk.accounts.security import hash_password, sha256_hex, verify_password
from repdesk.billing import service as billing
from repdesk.config import get_settings
from repdesk.db.base import table_of
from repdesk.db.upsert import insert_ignore
from repdesk.kit import timezones
from repdesk.kit.errors import (
    AppError,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationError,
)
from repdesk.kit.ids import token
from repdesk.kit.time import ensure_utc, utcnow

VERIFY_TTL = timedelta(days=3)


class EmailTaken(Conflict):
    code = "EMAIL_TAKEN"


class InvalidCredentials(Unauthorized):
    code = "INVALID_CREDENTIALS"


class EmailNotVerified(Forbidden):
    code = "EMAIL_NOT_VERIFIED"


class InvalidToken(AppError):
    status = 400
    code = "INVALID_TOKEN"


class TokenUsed(InvalidToken):
    code = "TOKEN_USED"


@dataclass(frozen=True)
class Principal:
    """Who is making a dashboard or /api request."""

    user: User
    workspace: Workspace
    role: str
    session_id: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalize_email(email)))


async def register(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    business_name: str,
    verified: bool = False,
    send_email: bool = True,
) -> tuple[User, Workspace]:
    email = normalize_email(email)
    business_name = business_name.strip()
    if not business_name:
        raise ValidationError("businessName: must not be empty")
    if len(password) < 8:
        raise ValidationError("password: must be at least 8 characters")
    if await get_user_by_email(session, email):
        raise EmailTaken("An account with this email already exists.")
    user = User(email=email, password_hash=hash_password(password), email_verified=verified)
    workspace = Workspace(business_name=business_name, credits=0)
    try:
        async with session.begin_nested():
            session.add_all([user, workspace])
            await session.flush()
            session.add(Membership(workspace_id=workspace.id, user_id=user.id, role="owner"))
            await session.flush()
    except IntegrityError as exc:
        raise EmailTaken("An account with this email already exists.") from exc
    settings = get_settings()
    if settings.signup_credits > 0:
        await billing.credit(
            session,
            workspace_id=workspace.id,
            credits=settings.signup_credits,
            kind="grant",
            reason="signup",
            reference=f"signup:{workspace.id}",
            description="Free credits to get started",
        )
    if send_email and not verified:
        await send_verification(session, user)
    return user, workspace


async def sign_up(session: AsyncSession, *, email: str, password: str, business_name: str) -> bool:
    """Registration from the API and the sign-up page, which answer alike whether or not the
    address is taken: a taken one creates nothing and is answered as a new one. Returns
    whether an account was created; if not, the caller sends ``send_account_exists``."""
    try:
        await register(session, email=email, password=password, business_name=business_name)
    except EmailTaken:
        hash_password(password)  # the work a new account costs, so the time tells nothing
        return False
    return True


async def send_account_exists(session: AsyncSession, *, email: str) -> None:
    """The email a sign-up with a taken address gets instead of a new account."""
    base = get_settings().base_url
    await queue_email(
        session,
        to=normalize_email(email),
        subject="You already have a repdesk account",
        body=(
            "Someone, probably you, tried to create a repdesk account with this email "
            "address. You already have one, so nothing was changed.\n\n"
            f"Log in here:\n{base}/login\n\n"
            "If it was not you, ignore this email: your account and password are unchanged.\n"
        ),
    )


async def send_verification(session: AsyncSession, user: User) -> str:
    raw = token(32)
    session.add(
        EmailToken(
            token_hash=sha256_hex(raw),
            user_id=user.id,
            purpose="verify",
            expires_at=utcnow() + VERIFY_TTL,
        )
    )
    link = f"{get_settings().base_url}/verify?token={raw}"
    await queue_email(
        session,
        to=user.email,
        subject="Verify your repdesk email address",
        body=(
            "Welcome to repdesk!\n\n"
            f"Confirm your email address by opening this link:\n{link}\n\n"
            "The link works for 3 days. If you did not sign up, ignore this email.\n"
        ),
    )
    return raw


async def consume_token(session: AsyncSession, raw_token: str, *, purpose: str) -> str:
    """Use an emailed token once: returns its user's id. One conditional UPDATE marks it used,
    so of two concurrent uses exactly one matches a row; the other (and every later use) gets
    ``TokenUsed``."""
    now = utcnow()
    token_hash = sha256_hex(raw_token)
    used = await session.execute(
        update(EmailToken)
        .where(
            EmailToken.token_hash == token_hash,
            EmailToken.purpose == purpose,
            EmailToken.used_at.is_(None),
            EmailToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    row = await session.scalar(
        select(EmailToken).where(EmailToken.token_hash == token_hash, EmailToken.purpose == purpose)
    )
    if row is None or ensure_utc(row.expires_at) <= now:
        raise InvalidToken("This link is invalid or has expired.")
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise TokenUsed("This link has already been used.")
    return row.user_id


async def verify_email(session: AsyncSession, raw_token: str) -> User:
    try:
        user_id = await consume_token(session, raw_token, purpose="verify")
    except TokenUsed as exc:
        raise TokenUsed(
            "This verification link has already been used. If you opened it before, your "
            "address is verified: log in."
        ) from exc
    except InvalidToken as exc:
        raise InvalidToken("This verification link is invalid or has expired.") from exc
    user = await session.get(User, user_id)
    if user is None:
        raise InvalidToken("This verification link is invalid or has expired.")
    user.email_verified = True
    await session.flush()
    return user


def _login_ip_hash(user_id: str, ip: str) -> str:
    return sha256_hex(f"{user_id}|{ip}")


async def is_known_login_ip(session: AsyncSession, *, email: str, ip: str) -> bool:
    """Whether ``ip`` has signed in to the user with this email before."""
    user_id = await session.scalar(select(User.id).where(User.email == normalize_email(email)))
    if user_id is None:
        return False
    found = await session.scalar(
        select(LoginIP.id).where(
            LoginIP.user_id == user_id, LoginIP.ip_hash == _login_ip_hash(user_id, ip)
        )
    )
    return found is not None


async def login(
    session: AsyncSession, *, email: str, password: str, ip: str | None = None
) -> tuple[User, Workspace, str]:
    """Check credentials and open a session; ``ip`` becomes one of the user's known sign-in
    addresses. Returns (user, workspace, raw session token)."""
    user = await get_user_by_email(session, email)
    if not verify_password(user.password_hash if user else None, password) or user is None:
        raise InvalidCredentials("Email or password is incorrect.")
    if not user.email_verified:
        raise EmailNotVerified("Verify your email address first: we sent you a link.")
    membership = await session.scalar(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.created_at)
    )
    if membership is None:
        raise InvalidCredentials("This account has no workspace.")
    workspace = await session.get(Workspace, membership.workspace_id)
    assert workspace is not None
    raw = token(32)
    session.add(
        AuthSession(
            token_hash=sha256_hex(raw),
            user_id=user.id,
            workspace_id=workspace.id,
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
        )
    )
    await session.flush()
    if ip is not None:
        await insert_ignore(
            session,
            table_of(LoginIP),
            [{"user_id": user.id, "ip_hash": _login_ip_hash(user.id, ip)}],
            conflict=("user_id", "ip_hash"),
        )
    return user, workspace, raw


async def logout(session: AsyncSession, raw_token: str) -> None:
    row = await session.scalar(
        select(AuthSession).where(AuthSession.token_hash == sha256_hex(raw_token))
    )
    if row is not None:
        await session.delete(row)
        await session.flush()


async def authenticate(session: AsyncSession, raw_token: str) -> Principal | None:
    if not raw_token or len(raw_token) > 200:
        return None
    row = await session.scalar(
        select(AuthSession).where(AuthSession.token_hash == sha256_hex(raw_token))
    )
    if row is None or ensure_utc(row.expires_at) < utcnow():
        return None
    user = await session.get(User, row.user_id)
    workspace = await session.get(Workspace, row.workspace_id)
    if user is None or workspace is None:
        return None
    role = await session.scalar(
        select(Membership.role).where(
            Membership.user_id == user.id, Membership.workspace_id == workspace.id
        )
    )
    if role is None:
        return None
    return Principal(user=user, workspace=workspace, role=role, session_id=row.id)


async def get_workspace_or_404(session: AsyncSession, workspace_id: str) -> Workspace:
    ws = await session.get(Workspace, workspace_id, populate_existing=True)
    if ws is None:
        raise NotFound("Workspace not found.")
    return ws


async def update_workspace(
    session: AsyncSession,
    workspace: Workspace,
    *,
    business_name: str | None = None,
    timezone: str | None = None,
) -> Workspace:
    """Change the fields given; every one is checked before any is written."""
    name = business_name.strip() if business_name is not None else None
    if name is not None and not name:
        raise ValidationError("businessName: must not be empty")
    if timezone is not None:
        timezones.checked(timezone, field="timezone")
    if name is not None:
        workspace.business_name = name
    if timezone is not None:
        workspace.timezone = timezone
    await session.flush()
    return workspace


async def workspace_owner_emails(session: AsyncSession, workspace_id: str) -> list[str]:
    rows = await session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, Membership.role.in_(("owner", "admin")))
    )
    return list(rows)


async def count_users(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)
