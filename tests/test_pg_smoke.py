import psycopg


def test_postgres(postgres_database):
    with psycopg.connect(postgres_database) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
