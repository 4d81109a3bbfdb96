from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "tandem.accounts"
    label = "accounts"

    def ready(self) -> None:
        from tandem.accounts.services import role_groups_sync

        # Groups mirror the role matrix in code after every migrate (permissions exist only then).
        post_migrate.connect(
            lambda **kwargs: role_groups_sync(), dispatch_uid="tandem-role-groups", weak=False
        )
