"""The database, the system of record: tables, Alembic migrations, the SQL recorder and read models.

Start-up: `migrate.upgrade(url)`; writing: `recorder.SqlRecorder(url)`; reading: `read_models.ReadModels`,
`explain.explain_position`; several dispatchers: `dispatch_queue.claim_recommendations`.
"""
