"""add product ingredients (recipes) and manufactured products

Revision ID: 011_add_product_ingredients
Revises: 010_add_payments
Create Date: 2025-10-13 10:05:51.883120

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "011_add_product_ingredients"
down_revision: Union[str, Sequence[str], None] = "010_add_payments"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "product_ingredients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inventory_item_id"], ["inventory_items.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("product_id", "inventory_item_id", name="uq_product_ingredients_product_item"),
    )
    op.create_index(op.f("ix_product_ingredients_product_id"), "product_ingredients", ["product_id"], unique=False)

    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(sa.Column("is_manufactured", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("preparation_minutes", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("preparation_minutes")
        batch_op.drop_column("is_manufactured")

    op.drop_index(op.f("ix_product_ingredients_product_id"), table_name="product_ingredients")
    op.drop_table("product_ingredients")
