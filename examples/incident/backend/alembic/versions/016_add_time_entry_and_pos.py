"""time tracking for staff and production; POS fields on orders

Revision ID: 016_add_time_entry_and_pos
Revises: 015_reorder_points_cleanup
Create Date: 2026-01-06 18:02:26.931744

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "016_add_time_entry_and_pos"
down_revision: Union[str, Sequence[str], None] = "015_reorder_points_cleanup"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

order_source = sa.Enum("online", "pos", "phone", "marketplace", name="order_source")


def upgrade() -> None:
    """Upgrade schema."""
    # ALTER TABLE ... ADD COLUMN does not create the PostgreSQL enum type.
    order_source.create(op.get_bind(), checkfirst=True)

    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("order_source", order_source, server_default="online", nullable=False))
        batch_op.add_column(sa.Column("pos_terminal_id", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("table_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("served_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_orders_served_by_id", "users", ["served_by_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_orders_order_source"), ["order_source"], unique=False)

    # staff clock-in / clock-out at the POS
    op.add_column("business_users", sa.Column("pin_code_hash", sa.String(length=255), nullable=True))
    op.add_column("business_users", sa.Column("hourly_rate", sa.Numeric(12, 2), nullable=True))

    # labour time booked against production runs
    op.add_column(
        "production_orders", sa.Column("labor_minutes", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("production_orders", "labor_minutes")
    op.drop_column("business_users", "hourly_rate")
    op.drop_column("business_users", "pin_code_hash")

    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_order_source"))
        batch_op.drop_constraint("fk_orders_served_by_id", type_="foreignkey")
        batch_op.drop_column("served_by_id")
        batch_op.drop_column("table_number")
        batch_op.drop_column("pos_terminal_id")
        batch_op.drop_column("order_source")

    order_source.drop(op.get_bind(), checkfirst=True)
