"""PostgreSQL store: pool, migrations, one module per table."""
