"""Alembic environment: runs migrations on the engine handed over by `upgrade_to_head`."""

from alembic import context

from assessment.storage import metadata

engine = context.config.attributes["engine"]

with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
