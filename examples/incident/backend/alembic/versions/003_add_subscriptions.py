"""add subscription tiers and transactions

Revision ID: 003_add_subscriptions
Revises: 002_add_orgs_and_businesses
Create Date: 2025-06-19 11:02:47.930214

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "003_add_subscriptions"
down_revision: Union[str, Sequence[str], None] = "002_add_orgs_and_businesses"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "subscription_tiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("price_monthly", sa.Numeric(12, 2), server_default="0", nullable=False),
        sa.Column("price_yearly", sa.Numeric(12, 2), server_default="0", nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column("max_users", sa.Integer(), server_default="1", nullable=False),
        sa.Column("max_businesses", sa.Integer(), server_default="1", nullable=False),
        sa.Column("features", sa.JSON(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug", name="uq_subscription_tiers_slug"),
    )

    op.create_table(
        "subscription_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="INR", nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "completed", "failed", "refunded", name="subscription_transaction_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=50), nullable=True),
        sa.Column("provider_reference", sa.String(length=255), nullable=True),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tier_id"], ["subscription_tiers.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_subscription_transactions_business_id"), "subscription_transactions", ["business_id"], unique=False
    )
    op.create_index(
        op.f("ix_subscription_transactions_status"), "subscription_transactions", ["status"], unique=False
    )

    with op.batch_alter_table("businesses") as batch_op:
        batch_op.add_column(sa.Column("subscription_tier_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("subscription_status", sa.String(length=20), server_default="trial", nullable=False)
        )
        batch_op.create_foreign_key(
            "fk_businesses_subscription_tier_id",
            "subscription_tiers",
            ["subscription_tier_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_businesses_subscription_tier_id"), ["subscription_tier_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("businesses") as batch_op:
        batch_op.drop_index(batch_op.f("ix_businesses_subscription_tier_id"))
        batch_op.drop_constraint("fk_businesses_subscription_tier_id", type_="foreignkey")
        batch_op.drop_column("subscription_status")
        batch_op.drop_column("subscription_tier_id")

    op.drop_index(op.f("ix_subscription_transactions_status"), table_name="subscription_transactions")
    op.drop_index(op.f("ix_subscription_transactions_business_id"), table_name="subscription_transactions")
    op.drop_table("subscription_transactions")
    op.drop_table("subscription_tiers")
    sa.Enum(name="subscription_transaction_status").drop(op.get_bind(), checkfirst=True)
