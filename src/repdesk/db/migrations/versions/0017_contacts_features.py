"""contacts: notes, custom attribute definitions, CSV imports, reply-rate counters; the legacy
JSON contacts.tags column goes (contact_tags holds the tags since 0015)

Revision ID: 0017_contacts_features
Revises: 0015_contacts_book
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import repdesk.db.types

revision: str = "0017_contacts_features"
down_revision: str | Sequence[str] | None = "0015_contacts_book"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = repdesk.db.types.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("contact_tags") as batch:
        batch.add_column(sa.Column("position", sa.BigInteger(), server_default="0", nullable=False))
    _keep_tag_order()
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(
            sa.Column("prompts_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("replies_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(
            sa.Column("awaiting_reply", sa.Boolean(), server_default="0", nullable=False)
        )
    _drop_column("contacts", "tags")
    op.create_table(
        "contact_notes",
        sa.Column("contact_id", sa.String(length=32), nullable=False),
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_contact_notes_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_notes_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_notes")),
    )
    op.create_index("ix_contact_notes_contact_id", "contact_notes", ["contact_id", "id"])
    op.create_table(
        "contact_attribute_definitions",
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("choices", _JSON, nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_contact_attribute_definitions_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attribute_definitions")),
        sa.UniqueConstraint(
            "assistant_id", "key", name=op.f("uq_contact_attribute_definitions_assistant_id_key")
        ),
    )
    op.create_table(
        "contact_imports",
        sa.Column("assistant_id", sa.String(length=32), nullable=False),
        sa.Column("file_id", sa.String(length=32), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("default_country", sa.String(length=2), nullable=True),
        sa.Column("mapping", _JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", _JSON, nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["assistant_id"],
            ["assistants.id"],
            name=op.f("fk_contact_imports_assistant_id_assistants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_contact_imports_file_id_stored_files"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_imports")),
    )
    op.create_index("ix_contact_imports_assistant_id", "contact_imports", ["assistant_id", "id"])


def _drop_column(table: str, column: str) -> None:
    """On SQLite, ALTER TABLE DROP COLUMN (3.35+) rather than batch mode's copy of the table:
    dropping the old contacts table would cascade to every row that references it
    (conversations, messages, tags), foreign keys being on."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
    else:
        op.drop_column(table, column)


def _keep_tag_order() -> None:
    """contact_tags (0015) kept no order: take it from the JSON list before it goes."""
    bind = op.get_bind()
    contacts = sa.table("contacts", sa.column("id", sa.String), sa.column("tags", sa.JSON))
    tags_table = sa.table(
        "contact_tags",
        sa.column("contact_id", sa.String),
        sa.column("tag", sa.String),
        sa.column("position", sa.BigInteger),
    )
    rows = [
        {"cid": contact_id, "t": tag, "p": index}
        for contact_id, tags in bind.execute(sa.select(contacts.c.id, contacts.c.tags))
        for index, tag in enumerate(dict.fromkeys(tags or []))
        if isinstance(tag, str) and tag and index
    ]
    if rows:
        bind.execute(
            tags_table.update()
            .where(
                tags_table.c.contact_id == sa.bindparam("cid"),
                tags_table.c.tag == sa.bindparam("t"),
            )
            .values(position=sa.bindparam("p")),
            rows,
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT contact_id, tag FROM contact_tags ORDER BY contact_id, position, tag")
    ).all()
    tags: dict[str, list[str]] = {}
    for contact_id, tag in rows:
        tags.setdefault(contact_id, []).append(tag)
    op.drop_index("ix_contact_imports_assistant_id", table_name="contact_imports")
    op.drop_table("contact_imports")
    op.drop_table("contact_attribute_definitions")
    op.drop_index("ix_contact_notes_contact_id", table_name="contact_notes")
    op.drop_table("contact_notes")
    _drop_column("contact_tags", "position")
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("tags", _JSON, nullable=True))
    for column in ("awaiting_reply", "replies_count", "prompts_count"):
        _drop_column("contacts", column)
    # The tags come back from contact_tags.
    contacts = sa.table("contacts", sa.column("id", sa.String), sa.column("tags", sa.JSON))
    for contact_id, values in tags.items():
        bind.execute(contacts.update().where(contacts.c.id == contact_id).values(tags=values))
    bind.execute(contacts.update().where(contacts.c.tags.is_(None)).values(tags=[]))
