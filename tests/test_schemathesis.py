"""Property-based API testing from the OpenAPI schema (schemathesis).

Every operation in /api/schema/ is called with generated input, signed in as a
regular user. No call may end in a server error, and every response must match
what the schema promises for its status code.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts.tests.factories import UserFactory
from collaboration.tests.factories import DocumentFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def _keep_test_connection():
    # As Django's test client does: a request must not close the test transaction's
    # connection at its end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def auth_headers(db, _keep_test_connection):
    user = UserFactory(username="schemathesis")
    # Something to find: ids 1.. exist for documents and users.
    DocumentFactory(owner=user, title="Attention", content="# Attention\n\nQ, K, V.")
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_api_never_fails_and_keeps_its_schema(case, auth_headers):
    case.call_and_validate(
        headers=auth_headers, checks=[not_a_server_error, response_schema_conformance]
    )
