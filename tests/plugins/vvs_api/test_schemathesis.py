"""Fuzzing of the JSON API with schemathesis against its own OpenAPI document, on a
live server (PostGIS, demo data), with a référent's personal token: every operation,
positive and negative cases; no answer may be a 5xx or break the documented schema."""
from hypothesis import HealthCheck, Phase, given, settings

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_MODE = 12


def test_api_fuzzing(api_server):
    schema = schemathesis.openapi.from_url(api_server + "/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {api_server.token}"}
    seen: dict[str, int] = {}
    statuses: dict[int, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=EXAMPLES_PER_MODE, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                seen[operation.label] = seen.get(operation.label, 0) + 1
                response = case.call_and_validate(base_url=api_server, headers=headers, checks=CHECKS)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            run()
    assert set(seen) == {op.label for op in operations}  # every endpoint and method
    print(f"schemathesis: {sum(seen.values())} cases over {len(seen)} operations; statuses {sorted(statuses.items())}")
    assert any(200 <= status < 300 for status in statuses)  # the token really got in
    assert sum(seen.values()) >= 300, seen
