"""Invitations sent by members — now the vvs_invitations plugin's (a no-op here).

This revision created the ``invitations`` table; the table now belongs to the
vvs_invitations plugin's branch (``0001_vvs_invitations``), which creates it only where
it is missing: a database that ran this revision before keeps its invitations.

Revision ID: 0002_invitations
Revises: 0001_core
Create Date: 2026-11-24
"""
revision = "0002_invitations"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
