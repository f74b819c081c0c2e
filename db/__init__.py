"""vpsbot's state: PostgreSQL through SQLAlchemy 2 (asyncpg), Alembic migrations."""
