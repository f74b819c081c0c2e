"""Tell every replica when providers or plans change (LISTEN/NOTIFY).

Triggers on ``service_providers`` and ``vps_plans`` send ``NOTIFY
vpsbot_catalog`` with the provider id, delivered when the writing transaction
commits, whoever wrote it (the bot, the CLI, plain SQL). Replicas drop their
cached offer of providers and plans on the notice.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION vpsbot_catalog_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            changed uuid;
        BEGIN
            IF TG_TABLE_NAME = 'service_providers' THEN
                changed := COALESCE(NEW.id, OLD.id);
            ELSE
                changed := COALESCE(NEW.provider_id, OLD.provider_id);
            END IF;
            PERFORM pg_notify('vpsbot_catalog', changed::text);
            RETURN NULL;
        END;
        $$
        """
    )
    for table in ("service_providers", "vps_plans"):
        op.execute(
            f"""
            CREATE TRIGGER {table}_catalog_notify
            AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION vpsbot_catalog_notify()
            """
        )


def downgrade() -> None:
    for table in ("service_providers", "vps_plans"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_catalog_notify ON {table}")
    op.execute("DROP FUNCTION IF EXISTS vpsbot_catalog_notify()")
