"""API tokens and push subscriptions — now the vvs_api and vvs_push plugins' (a no-op here).

This revision created the ``api_tokens`` and ``push_subscriptions`` tables; they now
belong to the plugins' branches (``0001_vvs_api``, ``0001_vvs_push``), which create
them only where they are missing: a database that ran this revision before keeps
its tokens and its devices.

Revision ID: 0003_api_tokens
Revises: 0002_invitations
Create Date: 2026-11-25
"""
revision = "0003_api_tokens"
down_revision = "0002_invitations"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
