"""Property-based tests generated from /openapi.json (Schemathesis): for every operation, a
bounded number of generated requests, valid and invalid; no 5xx, and every response conforms to
the documented schema, status codes and content type.

Schemathesis' pytest plugin does not run under pytest 9 yet, so the operations are driven
with Hypothesis directly, through the same strategies and checks.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = 30
# Excluded on purpose: the API answers 400 to some requests the schema cannot call invalid
# (a query made only of emoji, a 5-character code that is not an INSEE code), as the search
# issue requires. Every other check stays: no 5xx, documented statuses, schema, content type.
EXCLUDED_CHECKS = [positive_data_acceptance]
# Schemathesis' WSGI transport sends requests' "Accept-Encoding: gzip, deflate…" but does not
# decode the answer as an HTTP client would; the app compresses (geosvc/httpcache.py, tested
# in tests/test_campaign.py), so ask for the identity coding here.
IDENTITY = {"Accept-Encoding": "identity"}


def run_operation(operation) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        case.call_and_validate(headers=IDENTITY, excluded_checks=EXCLUDED_CHECKS)

    check()


def test_every_operation_conforms_to_its_schema(app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            run_operation(operation)
        except Exception as failure:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {failure}")
    assert operations >= 6
    assert not failures, "\n\n".join(failures)
