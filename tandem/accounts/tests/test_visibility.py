import pytest

from tandem.accounts.models import User
from tandem.accounts.visibility import Scope, can, scope_for, scope_q, team_ids
from tandem.contacts.models import Company, Contact
from tandem.contacts.services import record_share


def _fresh(user: User) -> User:
    # Permission and team caches live on the instance; a new request gets a new one.
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("role_fixture", "view", "change"),
    [
        ("admin", Scope.ALL, Scope.ALL),
        ("head_a", Scope.TEAM, Scope.TEAM),
        ("rep_a", Scope.OWN, Scope.OWN),
        ("marketer", Scope.ALL, Scope.OWN),
        ("readonly", Scope.ALL, Scope.NONE),
    ],
)
@pytest.mark.parametrize("model", [Company, Contact])
def test_scope_for_each_role(request, role_fixture, view, change, model):
    user = request.getfixturevalue(role_fixture)

    assert scope_for(user, model, "view") == view
    assert scope_for(user, model, "change") == change


def test_inactive_user_has_no_scope(rep_a):
    rep_a.is_active = False

    assert scope_for(rep_a, Contact, "view") is Scope.NONE
    assert list(Contact.objects.filter(scope_q(rep_a, Contact))) == []


def test_team_ids_are_own_team_and_headed_teams(head_a, team_a, team_b, rep_b):
    team_b.head = head_a
    team_b.save(update_fields=["head"])

    assert team_ids(_fresh(head_a)) == sorted([team_a.pk, team_b.pk])
    assert team_ids(_fresh(rep_b)) == [team_b.pk]


@pytest.fixture
def records(make_company, admin, head_a, rep_a, rep_a2, rep_b, marketer, readonly) -> dict[str, Company]:
    made = {
        "rep_a": make_company(rep_a, "Own A"),
        "rep_a2": make_company(rep_a2, "Teammate A2"),
        "rep_a2_shared": make_company(rep_a2, "Shared by A2"),
        "head_a": make_company(head_a, "Head A"),
        "rep_b": make_company(rep_b, "Other team B"),
        "admin": make_company(admin, "Admin's"),
        "marketer": make_company(marketer, "Marketing lead"),
    }
    record_share(actor=rep_a2, record=made["rep_a2_shared"], users=[rep_a])
    return made


def _visible(user: User, action: str = "view") -> list[str]:
    return sorted(
        Company.objects.filter(scope_q(_fresh(user), Company, action)).values_list("name", flat=True)
    )


def test_rep_sees_own_and_shared_records(records, rep_a):
    assert _visible(rep_a) == ["Own A", "Shared by A2"]
    assert _visible(rep_a, "change") == ["Own A", "Shared by A2"]


def test_head_sees_team_members_records_and_own(records, head_a):
    assert _visible(head_a) == ["Head A", "Own A", "Shared by A2", "Teammate A2"]
    assert _visible(head_a, "change") == ["Head A", "Own A", "Shared by A2", "Teammate A2"]


def test_head_sees_records_of_every_team_they_head(records, head_a, team_b):
    team_b.head = head_a
    team_b.save(update_fields=["head"])

    assert "Other team B" in _visible(head_a)


def test_admin_sees_and_changes_all(records, admin):
    assert len(_visible(admin)) == 7
    assert len(_visible(admin, "change")) == 7


def test_readonly_sees_all_and_changes_nothing(records, readonly):
    assert len(_visible(readonly)) == 7
    assert _visible(readonly, "change") == []


def test_marketer_sees_all_and_changes_own(records, marketer):
    assert len(_visible(marketer)) == 7
    assert _visible(marketer, "change") == ["Marketing lead"]


def test_other_team_rep_sees_only_own(records, rep_b):
    assert _visible(rep_b) == ["Other team B"]


@pytest.mark.parametrize("role", ["admin", "head_a", "rep_a", "rep_a2", "rep_b", "marketer", "readonly"])
@pytest.mark.parametrize("action", ["view", "change"])
def test_can_agrees_with_scope_q_for_every_role_and_record(request, records, role, action):
    user = _fresh(request.getfixturevalue(role))
    in_scope = set(Company.objects.filter(scope_q(user, Company, action)).values_list("pk", flat=True))

    for record in records.values():
        assert can(user, action, record) is (record.pk in in_scope), (role, action, record.name)


def test_can_is_false_for_a_user_without_the_base_permission(records, readonly):
    assert can(readonly, "delete", records["rep_a"]) is False


def test_scope_q_works_for_contacts_too(make_contact, rep_a, rep_a2, head_a, rep_b):
    make_contact(rep_a, "Ivan", "Own")
    shared = make_contact(rep_b, "Boris", "Shared")
    make_contact(rep_a2, "Ravi", "Teammate")
    record_share(actor=rep_b, record=shared, users=[rep_a])

    visible = sorted(
        Contact.objects.filter(scope_q(_fresh(rep_a), Contact)).values_list("last_name", flat=True)
    )
    for_head = sorted(
        Contact.objects.filter(scope_q(_fresh(head_a), Contact)).values_list("last_name", flat=True)
    )

    assert visible == ["Own", "Shared"]
    assert for_head == ["Own", "Teammate"]
