"""inventory reorder points; drop API keys and users.legacy_role

Revision ID: 015_reorder_points_cleanup
Revises: 014_rename_business_members
Create Date: 2025-12-08 11:33:59.517246

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "015_reorder_points_cleanup"
down_revision: Union[str, Sequence[str], None] = "014_rename_business_members"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("inventory_items") as batch_op:
        batch_op.alter_column(
            "reorder_level",
            new_column_name="reorder_point",
            existing_type=sa.Numeric(12, 3),
            existing_server_default="0",
            existing_nullable=False,
        )
        batch_op.add_column(sa.Column("par_level", sa.Numeric(12, 3), nullable=True))
        batch_op.add_column(sa.Column("reorder_quantity", sa.Numeric(12, 3), nullable=True))
        batch_op.create_index(batch_op.f("ix_inventory_items_sku"), ["sku"], unique=False)

    # Walk-in customers created at the POS often have no e-mail address.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("customers") as batch_op:
            batch_op.alter_column("email", existing_type=sa.String(length=255), nullable=True)
    else:
        op.alter_column("customers", "email", existing_type=sa.String(length=255), nullable=True)

    op.drop_index(op.f("ix_products_barcode"), table_name="products")
    op.create_index(op.f("ix_products_business_id_barcode"), "products", ["business_id", "barcode"], unique=False)

    op.drop_column("users", "legacy_role")

    op.drop_index(op.f("ix_api_keys_key_hash"), table_name="api_keys")
    op.drop_table("api_keys")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), sa.ForeignKey("businesses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_api_keys_key_hash"), "api_keys", ["key_hash"], unique=True)

    op.add_column("users", sa.Column("legacy_role", sa.String(length=50), nullable=True))

    op.drop_index(op.f("ix_products_business_id_barcode"), table_name="products")
    op.create_index(op.f("ix_products_barcode"), "products", ["barcode"], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("customers") as batch_op:
            batch_op.alter_column("email", existing_type=sa.String(length=255), nullable=False)
    else:
        op.alter_column("customers", "email", existing_type=sa.String(length=255), nullable=False)

    with op.batch_alter_table("inventory_items") as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_items_sku"))
        batch_op.drop_column("reorder_quantity")
        batch_op.drop_column("par_level")
        batch_op.alter_column(
            "reorder_point",
            new_column_name="reorder_level",
            existing_type=sa.Numeric(12, 3),
            existing_server_default="0",
            existing_nullable=False,
        )
