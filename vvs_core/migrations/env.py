"""Alembic environment: the URL (or an open connection) comes from the caller."""
from alembic import context
from sqlalchemy import create_engine, pool

from vvs_core.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(config.attributes["database_url"], poolclass=pool.NullPool)
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
