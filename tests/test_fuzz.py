"""Property-based fuzzing from the app's own OpenAPI document (schemathesis).

`make test` runs a bounded pass on SQLite; `make fuzz` (REGISTRY_FUZZ_DEEP=1) runs deeper, on
PostgreSQL too when REGISTRY_TEST_POSTGRES_URL is set.
"""

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

DEEP = bool(os.environ.get("REGISTRY_FUZZ_DEEP"))
EXAMPLES = 200 if DEEP else 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_contract_holds_for_generated_requests(request, app, keys):
    """Every operation of /api/v1/openapi.json, with generated parameters and bodies."""
    if not DEEP and "sqlite" not in request.node.callspec.id:
        pytest.skip("the bounded pass runs on SQLite; `make fuzz` covers PostgreSQL")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    findings = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=not DEEP,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def exercise(case):
            case.call_and_validate(headers=keys["admin"], checks=CHECKS)

        try:
            exercise()
        except Unsatisfiable:
            continue  # an operation without parameters or body has no negative data
        except (Exception, BaseExceptionGroup) as failure:  # report every operation's finding
            findings.append(f"{operation.label} ({mode.value} data): {failure}")
    assert not findings, "\n\n".join(findings)
