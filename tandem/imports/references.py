"""Names in an import file resolved to Tandem's lists: industries, categories, roles, channels, tags, owners.

Each name is looked up once per import (case-insensitively). An unknown list entry is created when
the importer may maintain that list (admins; tags for anyone who may tag); otherwise the row keeps
the value in a warning and the field stays empty. A dry run creates nothing but answers the same.
"""

from __future__ import annotations

from django.db.models import Model
from django.utils.translation import gettext as _

from tandem.accounts.models import User
from tandem.accounts.services import users_assignable
from tandem.contacts.models import Channel, ClientCategory, ContactRole, Industry, Tag
from tandem.imports.rows import Issue, RowData

MODELS: dict[str, type[Model]] = {
    "company.industry": Industry,
    "company.category": ClientCategory,
    "contact.role": ContactRole,
    "channel": Channel,
}
TARGETS = {"company.industry": "industry", "company.category": "category", "contact.role": "role"}


class References:
    def __init__(self, actor: User, *, dry_run: bool):
        self.actor = actor
        self.dry_run = dry_run
        self.cache: dict[tuple[str, str], Model | None] = {}
        self.owners: dict[str, User | None] = {}
        self.may_tag = actor.has_perm("contacts.add_tag") or actor.has_perm("contacts.change_contact")

    def _item(self, key: str, name: str) -> Model | None:
        folded = " ".join(name.split()).casefold()
        cached = self.cache.get((key, folded), False)
        if cached is not False:
            return cached  # type: ignore[return-value]
        model = MODELS.get(key, Tag)
        item: Model | None = model._default_manager.filter(name__iexact=" ".join(name.split())).first()
        if item is None and self._may_add(model):
            item = model(name=" ".join(name.split())[:100])
            if not self.dry_run:
                item.save()
        self.cache[(key, folded)] = item
        return item

    def _may_add(self, model: type[Model]) -> bool:
        if model is Tag:
            return self.may_tag
        return self.actor.has_perm(f"contacts.add_{model._meta.model_name}")

    def owner(self, email: str) -> User | None:
        key = email.strip().casefold()
        if key not in self.owners:
            self.owners[key] = User.objects.filter(
                users_assignable(actor=self.actor), email__iexact=key, is_active=True
            ).first()
        return self.owners[key]

    def resolve(self, data: RowData) -> None:
        """Put the list entries and the owner into the row's values; unknown names become warnings."""
        for key, name in data.refs.items():
            if key == "owner":
                owner = self.owner(name)
                if owner is None:
                    message = _("“%(value)s” is not a user you can give records to; the record is yours.")
                    issue = Issue(
                        data.row, data.ref_columns[key], name, "unknown_owner", message % {"value": name}
                    )
                    data.warnings.append(issue)
                    continue
                data.company["owner"] = data.contact["owner"] = owner
                continue
            item = self._item(key, name)
            if item is None:
                message = _(
                    "“%(value)s” is not in the list and you cannot add to it; the field is left empty."
                )
                issue = Issue(
                    data.row, data.ref_columns[key], name, "unknown_item", message % {"value": name}
                )
                data.warnings.append(issue)
                continue
            if key == "channel":
                data.company["channel"] = data.contact["channel"] = item
            else:
                target = data.contact if key == "contact.role" else data.company
                target[TARGETS[key]] = item
        for name in data.tags:
            tag = self._item("tags", name)
            if tag is not None and tag not in data.tag_items:
                data.tag_items.append(tag)
