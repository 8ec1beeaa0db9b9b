"""The town hall's contact is the core commune's (communes.contact_*, edited on the
platform team's page of the commune, with a reason in the journal): what the old
reasonless form of /mairie/admin/{insee} stored is copied there when the commune has
none, then the plugin's copy goes. A phone is copied when it reads as a French or
international number (E.164, as the core stores it); the address had no place to go.

Revision ID: 0006_vvs_mairie_contact
Revises: 0005_vvs_mairie_sf_tokens
Create Date: 2026-12-06
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0006_vvs_mairie_contact"
down_revision = "0005_vvs_mairie_sf_tokens"
branch_labels = None
depends_on = None

COLUMNS = ("contact_name", "contact_email", "contact_phone", "contact_address")


def e164(text: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", text or "")
    if re.fullmatch(r"0[1-9][0-9]{8}", digits):
        return "+33" + digits[1:]
    return digits if re.fullmatch(r"\+[1-9][0-9]{7,14}", digits) else ""


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT m.commune_id, m.contact_name, m.contact_email, m.contact_phone FROM mairie_communes m "
        "JOIN communes c ON c.id = m.commune_id WHERE c.contact_name = '' AND c.contact_email = '' "
        "AND c.contact_phone = ''")).all()
    for commune_id, name, email, phone in rows:
        if name or email or phone:
            bind.execute(sa.text("UPDATE communes SET contact_name = :n, contact_email = :e, contact_phone = :p "
                                 "WHERE id = :id"),
                         {"n": (name or "")[:120], "e": (email or "")[:254], "p": e164(phone), "id": commune_id})
    with op.batch_alter_table("mairie_communes") as batch:
        for column in COLUMNS:
            batch.drop_column(column)


def downgrade():
    with op.batch_alter_table("mairie_communes") as batch:
        batch.add_column(sa.Column("contact_name", sa.String(120), nullable=False, server_default=""))
        batch.add_column(sa.Column("contact_email", sa.String(254), nullable=False, server_default=""))
        batch.add_column(sa.Column("contact_phone", sa.String(30), nullable=False, server_default=""))
        batch.add_column(sa.Column("contact_address", sa.String(255), nullable=False, server_default=""))
