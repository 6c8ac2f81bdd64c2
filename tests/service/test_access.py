"""Users and keys: shown once, kept as a hash, compared in constant time, revocable, expiring, scoped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from serving import access
from serving.access import AccessError, Role, add_user, authenticate, issue_key, list_users, revoke
from serving.store import Store
from serving.store.tables import ApiKey


def test_a_key_authenticates_its_user_and_is_stored_only_as_a_hash(store: Store) -> None:
    made = add_user(store, "Ans", Role.ANALYST, ["Rotterdam", "Limburg"])
    who = authenticate(store, made.api_key)
    assert who is not None and who.name == "Ans" and who.role is Role.ANALYST
    assert who.regions == ("Rotterdam", "Limburg") and who.sees_region("Limburg") and not who.sees_region("Den Haag")
    with store.engine.connect() as c:
        dump = " ".join(str(v) for row in c.execute(text("SELECT * FROM api_keys")) for v in row)
    assert made.api_key not in dump and made.api_key.split("_", 2)[2] not in dump
    assert made.as_dict().keys() >= {"name", "role", "regions", "api_key"}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1] + ("A" if k[-1] != "A" else "B"),
        lambda k: k + "x",
        lambda k: "tk_000000000000_" + k.split("_", 2)[2],
        lambda k: "",
        lambda k: "tk",
    ],
)
def test_any_altered_key_is_refused(store: Store, mangle: object) -> None:
    made = add_user(store, "Bo", Role.OVERSIGHT, [])
    assert authenticate(store, mangle(made.api_key)) is None


def test_revoked_and_expired_keys_are_refused(store: Store) -> None:
    first = add_user(store, "Cas", Role.ADMIN, [])
    second = issue_key(store, "Cas")
    assert authenticate(store, second.api_key) is not None
    with store.session() as s:
        s.execute(update(ApiKey).where(ApiKey.key_id == second.api_key.split("_", 2)[1])
                  .values(expires_at=access.now() - timedelta(seconds=1)))  # fmt: skip
    assert authenticate(store, second.api_key) is None
    assert authenticate(store, first.api_key) is not None
    assert revoke(store, "Cas") == 2
    assert authenticate(store, first.api_key) is None
    assert list_users(store)[0]["enabled"] is False and list_users(store)[0]["live_keys"] == 0
    with store.session() as s:
        assert all(k.revoked_at is not None for k in s.scalars(select(ApiKey)))


@pytest.mark.parametrize(
    ("role", "regions", "message"),
    [
        (Role.ANALYST, [], "at least one"),
        (Role.ANALYST, ["Atlantis"], "unknown RIEC region"),
        (Role.OVERSIGHT, ["Rotterdam"], "takes no --region"),
    ],
)
def test_scopes_are_checked(store: Store, role: Role, regions: list[str], message: str) -> None:
    with pytest.raises(AccessError, match=message):
        add_user(store, "Dirk", role, regions)


def test_names_are_unique(store: Store) -> None:
    add_user(store, "Eva", Role.ADMIN, [])
    with pytest.raises(AccessError, match="exists"):
        add_user(store, "Eva", Role.OVERSIGHT, [])
