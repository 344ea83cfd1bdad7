"""The whole API fuzzed with schemathesis: no server errors, every response as the schema says.

Bounded for CI: a fixed seed and a few examples per operation, as PCT finance and as a lead GP,
each authenticated with a token. Every operation in the generated OpenAPI schema is run.
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from consortia.models import User

# Examples per operation and person: 15 runs in about a minute and a half on SQLite; set
# API_FUZZ_EXAMPLES higher for a deeper run (30 and 100 found nothing more at the time of writing).
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


def _token(username: str) -> str:
    token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
    return token.key


@pytest.fixture
def test_database_connection_kept():
    """The app is called through WSGI, not Django's test client: keep it, as that client does,
    from closing the connection that holds the test's transaction at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["finance", "lead.carlisle"])
@schema.parametrize()
@seed(13)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # the same examples every run: the seed alone decides them
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema(
    case, username, cumbria, test_database_connection_kept
):
    response = case.call(headers={"Authorization": f"Token {_token(username)}"})
    case.validate_response(response, checks=CHECKS)
