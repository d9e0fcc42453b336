"""A profile address with a NUL character (%00) is a 404 like any unknown person, also on
PostgreSQL, whose text cannot hold one."""

import pytest

from accounts.tests.factories import UserFactory


@pytest.mark.django_db
def test_a_profile_address_with_a_nul_character_is_not_found(client):
    UserFactory(username="ada")
    assert client.get("/accounts/u/ada/").status_code == 200
    assert client.get("/accounts/u/ada%00/").status_code == 404
