"""Alembic environment: the URL (or an open connection) comes from the caller."""
from alembic import context
from sqlalchemy import create_engine, event, pool

from vvs_core.models import Base
from vvs_core.web.textsearch import register_sqlite_functions

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
    if engine.dialect.name == "sqlite":  # generated columns call vvs_fold (migration 0018), as the app's connections
        event.listen(engine, "connect", lambda dbapi_connection, _record: register_sqlite_functions(dbapi_connection))
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
