"""add production orders

Revision ID: 012_add_production_orders
Revises: 011_add_product_ingredients
Create Date: 2025-10-27 14:37:22.640077

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "012_add_production_orders"
down_revision: Union[str, Sequence[str], None] = "011_add_product_ingredients"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "production_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column(
            "status",
            sa.Enum("planned", "in_progress", "completed", "cancelled", name="production_status"),
            server_default="planned",
            nullable=False,
        ),
        sa.Column("quantity_planned", sa.Numeric(12, 3), nullable=False),
        sa.Column("quantity_produced", sa.Numeric(12, 3), server_default="0", nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["business_id"], ["businesses.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_production_orders_business_id"), "production_orders", ["business_id"], unique=False)
    op.create_index(op.f("ix_production_orders_status"), "production_orders", ["status"], unique=False)

    op.create_table(
        "production_order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("production_order_id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.Integer(), nullable=False),
        sa.Column("quantity_required", sa.Numeric(12, 3), nullable=False),
        sa.Column("quantity_used", sa.Numeric(12, 3), nullable=True),
        sa.Column("unit_cost", sa.Numeric(12, 2), nullable=True),
        sa.ForeignKeyConstraint(["production_order_id"], ["production_orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inventory_item_id"], ["inventory_items.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_production_order_items_production_order_id"),
        "production_order_items",
        ["production_order_id"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_production_order_items_production_order_id"), table_name="production_order_items")
    op.drop_table("production_order_items")
    op.drop_index(op.f("ix_production_orders_status"), table_name="production_orders")
    op.drop_index(op.f("ix_production_orders_business_id"), table_name="production_orders")
    op.drop_table("production_orders")
    sa.Enum(name="production_status").drop(op.get_bind(), checkfirst=True)
