"""rename business_members to business_users

Revision ID: 014_rename_business_members
Revises: 013_add_ai_conversations
Create Date: 2025-11-24 16:20:45.102391

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "014_rename_business_members"
down_revision: Union[str, Sequence[str], None] = "013_add_ai_conversations"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# The new indexes are created before the old ones are dropped: MySQL/MariaDB
# refuse to drop the only index a foreign key can use.


def upgrade() -> None:
    """Upgrade schema."""
    op.rename_table("business_members", "business_users")
    op.create_index(op.f("ix_business_users_business_id"), "business_users", ["business_id"], unique=False)
    op.create_index(op.f("ix_business_users_user_id"), "business_users", ["user_id"], unique=False)
    op.drop_index(op.f("ix_business_members_user_id"), table_name="business_users")
    op.drop_index(op.f("ix_business_members_business_id"), table_name="business_users")


def downgrade() -> None:
    """Downgrade schema."""
    op.rename_table("business_users", "business_members")
    op.create_index(op.f("ix_business_members_business_id"), "business_members", ["business_id"], unique=False)
    op.create_index(op.f("ix_business_members_user_id"), "business_members", ["user_id"], unique=False)
    op.drop_index(op.f("ix_business_users_user_id"), table_name="business_members")
    op.drop_index(op.f("ix_business_users_business_id"), table_name="business_members")
