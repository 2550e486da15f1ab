"""Regression for what schemathesis (.ci/scanners) found: the OpenAPI document and the server
must agree on which submissions are valid.

Found: the document allowed ``"invite_code": ""`` (any string up to 100 characters) while the
server refuses an empty or all-space code with 400, a "schema-valid request rejected" failure.
Fixed in the document (minLength 1, pattern ``\\S``): such a body is now outside the schema.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from tests.survey.test_api import _publish, _submit, _token


@pytest.mark.parametrize("code", ["", "   "])
def test_an_empty_invite_code_is_outside_the_document_and_refused(app, client, code):
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/Submission", "components": document["components"]}
    body = {"client_id": "api-client-0123456789", "answers": {}, "invite_code": code}
    assert not Draft202012Validator(schema).is_valid(body)
    assert Draft202012Validator(schema).is_valid(dict(body, invite_code="ABCD-EFGH"))
    assert Draft202012Validator(schema).is_valid(dict(body, invite_code=None))
    _publish(app)
    response = _submit(client, _token(client), body)
    assert response.status_code == 400
    assert "invite_code" in response.get_json()["errors"]
