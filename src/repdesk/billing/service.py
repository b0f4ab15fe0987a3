"""The credit ledger. The only code that changes a workspace's credits.

``charge`` is one conditional UPDATE (``credits = credits - n WHERE credits >= n``) plus one
ledger row, inside a savepoint: concurrent charges serialise on the workspace row, and the
balance can never go below zero. The ledger's (workspace, reference) uniqueness makes a charge
idempotent: charging the same reference twice returns the first entry and charges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, Integer, Select, bindparam, exists, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from repdesk.accounts.models import Workspace
from repdesk.billing.models import LedgerEntry
from repdesk.db.base import table_of
from repdesk.kit.errors import AppError, InsufficientCredits, NotFound, ValidationError
from repdesk.kit.ids import new_id

KINDS = ("grant", "purchase", "usage", "refund")


@dataclass(frozen=True)
class ChargeResult:
    entry: LedgerEntry
    balance: int
    created: bool  # False when the reference had been charged before


async def balance(session: AsyncSession, workspace_id: str) -> int:
    value = await session.scalar(select(Workspace.credits).where(Workspace.id == workspace_id))
    if value is None:
        raise NotFound("Workspace not found.")
    return int(value)


async def _existing(session: AsyncSession, workspace_id: str, reference: str) -> LedgerEntry | None:
    return await session.scalar(
        select(LedgerEntry).where(
            LedgerEntry.workspace_id == workspace_id, LedgerEntry.reference == reference
        )
    )


def _check_reference(reference: str) -> None:
    if not reference or len(reference) > 120:
        raise ValidationError("A ledger reference of 1 to 120 characters is required.")


async def _refused(session: AsyncSession, workspace_id: str, credits: int) -> AppError:
    """Why a conditional charge of ``credits`` changed no row: too few credits, or no such
    workspace."""
    if await session.scalar(select(Workspace.id).where(Workspace.id == workspace_id)):
        return InsufficientCredits(
            f"Not enough credits: this needs {credits}. Top up from the billing page."
        )
    return NotFound("Workspace not found.")


def _sync_loaded(session: AsyncSession, workspace_id: str, balance: int) -> None:
    """Keep a Workspace already loaded in this session honest about its balance."""
    loaded = session.sync_session.identity_map.get(identity_key(Workspace, workspace_id))
    if isinstance(loaded, Workspace):
        set_committed_value(loaded, "credits", balance)


async def _apply(
    session: AsyncSession,
    *,
    workspace_id: str,
    delta: int,
    kind: str,
    reason: str,
    reference: str,
    description: str,
) -> ChargeResult:
    _check_reference(reference)
    prior = await _existing(session, workspace_id, reference)
    if prior is not None:
        return ChargeResult(prior, prior.balance_after, created=False)
    # A savepoint, so that losing the race to a concurrent charge of the same reference is an
    # answer, not a failed transaction.
    try:
        async with session.begin_nested():
            stmt = (
                update(Workspace)
                .where(Workspace.id == workspace_id)
                .values(credits=Workspace.credits + delta)
                .returning(Workspace.credits)
                .execution_options(synchronize_session=False)
            )
            if delta < 0:
                stmt = stmt.where(Workspace.credits >= -delta)
            new_balance = await session.scalar(stmt)
            if new_balance is None:
                raise await _refused(session, workspace_id, -delta)
            entry = LedgerEntry(
                workspace_id=workspace_id,
                kind=kind,
                amount=delta,
                balance_after=int(new_balance),
                reason=reason,
                reference=reference,
                description=description[:300],
            )
            session.add(entry)
            await session.flush()
    except IntegrityError:
        # Someone charged the same reference concurrently and committed first.
        prior = await _existing(session, workspace_id, reference)
        if prior is None:
            raise
        return ChargeResult(prior, prior.balance_after, created=False)
    _sync_loaded(session, workspace_id, int(new_balance))
    return ChargeResult(entry, int(new_balance), created=True)


async def charge(
    session: AsyncSession,
    *,
    workspace_id: str,
    credits: int,
    reason: str,
    reference: str,
    description: str = "",
) -> ChargeResult:
    """Take ``credits`` from the workspace, or raise InsufficientCredits and change nothing.
    Charging a reference again returns the first charge (see :func:`charge_new` for a
    reference that cannot have been used)."""
    if credits < 0:
        raise ValidationError("A charge cannot be negative.")
    return await _apply(
        session,
        workspace_id=workspace_id,
        delta=-credits,
        kind="usage",
        reason=reason,
        reference=reference,
        description=description,
    )


_W = table_of(Workspace).c
_TAKE = (
    update(table_of(Workspace))
    .where(_W.id == bindparam("workspace_id"), _W.credits >= bindparam("amount"))
    .values(credits=_W.credits - bindparam("amount"))
    .returning(_W.credits)
)
_INSERT_ENTRY = insert(table_of(LedgerEntry))


async def charge_new(
    session: AsyncSession,
    *,
    workspace_id: str,
    credits: int,
    reason: str,
    reference: str,
    description: str = "",
) -> int:
    """:func:`charge` for a reference nobody can have used (it names a row created in this
    transaction: a new message), in two prebuilt statements and no ORM objects: this is on
    every send's path. Returns the balance after; raises InsufficientCredits (402) and changes
    nothing when the workspace cannot pay."""
    if credits <= 0:
        raise ValidationError("A charge must be positive.")
    _check_reference(reference)
    taken = await session.scalar(_TAKE, {"workspace_id": workspace_id, "amount": credits})
    new_balance = await settle_usage(session, workspace_id, credits, taken)
    await session.execute(
        _INSERT_ENTRY,
        {
            "id": new_id(),
            "workspace_id": workspace_id,
            "kind": "usage",
            "amount": -credits,
            "balance_after": new_balance,
            "reason": reason,
            "reference": reference,
            "description": description[:300],
        },
    )
    return new_balance


# The same charge as parts of a bigger PostgreSQL statement (a new message and its charge in one
# round trip: ``conversations.service``). Bound parameters: charge_workspace, charge_amount,
# charge_entry, charge_reason, charge_reference, charge_description, charge_now
# (:func:`usage_params` makes them).
_L = table_of(LedgerEntry).c


def usage_ctes(after: CTE) -> tuple[CTE, CTE]:
    """``charge_new`` as two CTEs: the conditional take, which runs only once ``after`` has
    produced a row (so that a row ``after`` locks is locked before the workspace's), and its
    ledger row, written only if the take happened. Select the take's ``credits`` for the
    balance after (NULL: nothing was taken) and pass it to :func:`settle_usage`."""
    amount = bindparam("charge_amount", type_=Integer)
    workspace = bindparam("charge_workspace", type_=_W.id.type)
    taken = (
        update(table_of(Workspace))
        .where(
            _W.id == workspace, _W.credits >= amount, exists(select(literal(1)).select_from(after))
        )
        .values(credits=_W.credits - amount)
        .returning(_W.credits)
        .cte("taken")
    )
    values = {
        "id": bindparam("charge_entry", type_=_L.id.type),
        "created_at": bindparam("charge_now", type_=_L.created_at.type),
        "workspace_id": workspace,
        "kind": literal("usage", _L.kind.type),
        "amount": -amount,
        "balance_after": taken.c.credits,
        "reason": bindparam("charge_reason", type_=_L.reason.type),
        "reference": bindparam("charge_reference", type_=_L.reference.type),
        "description": bindparam("charge_description", type_=_L.description.type),
    }
    entry = (
        insert(table_of(LedgerEntry))
        .from_select(list(values), select(*values.values()).select_from(taken))
        .cte("entry")
    )
    return taken, entry


def usage_params(
    *,
    workspace_id: str,
    credits: int,
    reason: str,
    reference: str,
    description: str,
    now: datetime,
) -> dict[str, Any]:
    """The parameters of :func:`usage_ctes`, checked as :func:`charge_new` checks them."""
    if credits <= 0:
        raise ValidationError("A charge must be positive.")
    _check_reference(reference)
    return {
        "charge_workspace": workspace_id,
        "charge_amount": credits,
        "charge_entry": new_id(),
        "charge_reason": reason,
        "charge_reference": reference,
        "charge_description": description[:300],
        "charge_now": now,
    }


async def settle_usage(
    session: AsyncSession, workspace_id: str, credits: int, new_balance: int | None
) -> int:
    """After a statement made of :func:`usage_ctes`: the balance, or the reason nothing was
    taken (InsufficientCredits, 402, or NotFound). The caller rolls back on an error."""
    if new_balance is None:
        raise await _refused(session, workspace_id, credits)
    _sync_loaded(session, workspace_id, int(new_balance))
    return int(new_balance)


async def credit(
    session: AsyncSession,
    *,
    workspace_id: str,
    credits: int,
    kind: str,
    reason: str,
    reference: str,
    description: str = "",
) -> ChargeResult:
    """Add credits: a grant, a purchase or a refund."""
    if kind not in ("grant", "purchase", "refund"):
        raise ValidationError("kind must be grant, purchase or refund.")
    if credits <= 0:
        raise ValidationError("Credits to add must be positive.")
    return await _apply(
        session,
        workspace_id=workspace_id,
        delta=credits,
        kind=kind,
        reason=reason,
        reference=reference,
        description=description,
    )


async def refund(
    session: AsyncSession, *, workspace_id: str, reference: str, description: str = ""
) -> ChargeResult | None:
    """Give back a usage charge (say, a send that Meta refused). Idempotent; None if nothing to
    refund."""
    original = await _existing(session, workspace_id, reference)
    if original is None or original.amount >= 0:
        return None
    return await credit(
        session,
        workspace_id=workspace_id,
        credits=-original.amount,
        kind="refund",
        reason=original.reason,
        reference=f"refund:{reference}"[:120],
        description=description or f"Refund of {original.reason}",
    )


def transactions_query(
    workspace_id: str,
    *,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    stmt = select(LedgerEntry).where(LedgerEntry.workspace_id == workspace_id)
    if kind:
        if kind not in KINDS:
            raise ValidationError(f"type must be one of {', '.join(KINDS)}.")
        stmt = stmt.where(LedgerEntry.kind == kind)
    if since:
        stmt = stmt.where(LedgerEntry.created_at >= since)
    if until:
        stmt = stmt.where(LedgerEntry.created_at < until)
    return stmt
