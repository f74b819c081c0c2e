"""Organizations: one install per Slack workspace, everything scoped by workspace.

* ``slack_installations``, ``slack_bots`` and ``slack_oauth_states``: the tables
  slack_sdk's ``AsyncSQLAlchemyInstallationStore`` and
  ``AsyncSQLAlchemyOAuthStateStore`` query (same names, columns, nullability
  and index as their ``build_*_table``). Token columns are ``text`` rather than
  ``varchar(200)``: vpsbot stores them sealed with Fernet, which is longer than
  the token itself.
* ``service_providers.team_id``: the workspace (or Grid org) a provider belongs
  to. Existing rows stay NULL, meaning *operator-level*: they were added by the
  operator when vpsbot served one workspace, so the single-token install keeps
  them, but an OAuth-installed workspace sees one only once the operator shares
  it (``provider_shares``). Guessing an owner from old servers' ``team_id``
  would hand one workspace the operator's cloud account on a guess.
* Provider names become unique per workspace (two workspaces may both call
  theirs "linode"; a clash must not reveal the other's name).
* ``workspace_admins``: vpsbot admins named per workspace (the installing user
  first), beside Slack's own admins/owners and the operator's ``VPSBOT_ADMINS``.
* A trigger on ``slack_bots`` announces every change on ``vpsbot_catalog``
  (payload ``install:<enterprise>:<team>``), so every replica drops its cached bot
  token at once when a workspace uninstalls or reinstalls.
* ``workspace_orgs``: which Enterprise Grid org a workspace belongs to, learnt from
  its requests, so background jobs find an org-wide install's token for a server
  of one of its workspaces.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TOKEN = sa.Text()


def _installation_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("enterprise_url", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", _TOKEN),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", _TOKEN),
        sa.Column("bot_token_expires_at", sa.DateTime),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", _TOKEN),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", _TOKEN),
        sa.Column("user_token_expires_at", sa.DateTime),
        sa.Column("incoming_webhook_url", _TOKEN),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        sa.Column("is_enterprise_install", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("token_type", sa.String(32)),
        sa.Column("installed_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    ]


def upgrade() -> None:
    op.create_table("slack_installations", *_installation_columns())
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", _TOKEN),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", _TOKEN),
        sa.Column("bot_token_expires_at", sa.DateTime),
        sa.Column("is_enterprise_install", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("installed_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "slack_bots_idx",
        "slack_bots",
        ["client_id", "enterprise_id", "team_id", "installed_at"],
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime, nullable=False),
    )
    op.create_index("slack_oauth_states_state", "slack_oauth_states", ["state"])

    op.add_column("service_providers", sa.Column("team_id", sa.String(32)))
    op.drop_constraint("service_providers_name_key", "service_providers", type_="unique")
    op.execute(
        "CREATE UNIQUE INDEX uq_service_providers_team_name "
        "ON service_providers (COALESCE(team_id, ''), name)"
    )
    op.create_index("idx_service_providers_team", "service_providers", ["team_id"])
    op.create_table(
        "provider_shares",
        sa.Column(
            "provider_id",
            sa.UUID(as_uuid=True),
            sa.ForeignKey("service_providers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("idx_provider_shares_team", "provider_shares", ["team_id"])
    # a share changes what a workspace is offered: tell the offer caches (0005)
    op.execute(
        """
        CREATE FUNCTION vpsbot_share_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('vpsbot_catalog', COALESCE(NEW.provider_id, OLD.provider_id)::text);
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER provider_shares_catalog_notify
        AFTER INSERT OR UPDATE OR DELETE ON provider_shares
        FOR EACH ROW EXECUTE FUNCTION vpsbot_share_notify()
        """
    )
    op.create_table(
        "workspace_admins",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("added_by", sa.String(32)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.execute(
        """
        CREATE FUNCTION vpsbot_install_notify() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            changed record;
        BEGIN
            IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
            PERFORM pg_notify('vpsbot_catalog', 'install:'
                || COALESCE(changed.enterprise_id, '') || ':' || COALESCE(changed.team_id, ''));
            RETURN NULL;
        END;
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER slack_bots_install_notify
        AFTER INSERT OR UPDATE OR DELETE ON slack_bots
        FOR EACH ROW EXECUTE FUNCTION vpsbot_install_notify()
        """
    )
    op.create_table(
        "workspace_orgs",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("enterprise_id", sa.String(32), nullable=False),
        sa.Column(
            "seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("idx_workspace_orgs_enterprise", "workspace_orgs", ["enterprise_id"])
    op.create_index("idx_vps_instances_team_status", "vps_instances", ["team_id", "status"])


def downgrade() -> None:
    op.drop_index("idx_vps_instances_team_status", table_name="vps_instances")
    op.drop_table("workspace_orgs")
    op.drop_table("workspace_admins")
    op.execute("DROP TRIGGER IF EXISTS provider_shares_catalog_notify ON provider_shares")
    op.execute("DROP FUNCTION IF EXISTS vpsbot_share_notify()")
    op.drop_table("provider_shares")
    op.drop_index("idx_service_providers_team", table_name="service_providers")
    op.execute("DROP INDEX IF EXISTS uq_service_providers_team_name")
    op.drop_column("service_providers", "team_id")
    op.create_unique_constraint("service_providers_name_key", "service_providers", ["name"])
    op.execute("DROP TRIGGER IF EXISTS slack_bots_install_notify ON slack_bots")
    op.execute("DROP FUNCTION IF EXISTS vpsbot_install_notify()")
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_bots")
    op.drop_table("slack_installations")
