"""whatsapp, conversations: provider ids are unique per connection (inbound events) and per
assistant (messages), not across tenants

A tenant could post another tenant's wamid to its own webhook and make the genuine message
look like a redelivery. The events' index on connection_id goes: the new unique constraint
leads with it and serves the foreign key.

Revision ID: 0013_whatsapp_scoping
Revises: 0009_stored_files_sha256
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013_whatsapp_scoping"
down_revision: str | Sequence[str] | None = "0009_stored_files_sha256"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_events") as batch:
        batch.drop_constraint("uq_whatsapp_events_dedupe_key", type_="unique")
        batch.drop_index("ix_whatsapp_events_connection_id")
        batch.create_unique_constraint(
            "uq_whatsapp_events_connection_id_dedupe_key", ["connection_id", "dedupe_key"]
        )
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("uq_messages_channel_external_id", type_="unique")
        batch.create_unique_constraint(
            "uq_messages_channel_external_id_assistant_id",
            ["channel", "external_id", "assistant_id"],
        )


def downgrade() -> None:
    # Fails if two assistants now hold the same provider id (as it should: that is the data
    # the old constraint cannot represent).
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("uq_messages_channel_external_id_assistant_id", type_="unique")
        batch.create_unique_constraint(
            "uq_messages_channel_external_id", ["channel", "external_id"]
        )
    with op.batch_alter_table("whatsapp_events") as batch:
        batch.drop_constraint("uq_whatsapp_events_connection_id_dedupe_key", type_="unique")
        batch.create_index("ix_whatsapp_events_connection_id", ["connection_id"])
        batch.create_unique_constraint("uq_whatsapp_events_dedupe_key", ["dedupe_key"])
