"""The OpenAPI schema says what every operation can answer, errors included.

drf-spectacular documents the success responses it can infer; the errors come from DRF's
machinery and `consortia.errors.api_exception_handler`, always in one shape. This hook declares
them on every operation so that a client (and the schemathesis run in the tests) can rely on them.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: what to do in `message`, details (fields, allowed values) in `extra`.",
    "properties": {
        "message": {"type": "string"},
        "extra": {"type": "object", "additionalProperties": True},
    },
    "required": ["message", "extra"],
}

# Status code -> when it is answered. 400 only where the client sends something to validate.
ERRORS = {
    "400": "The request is malformed: a parameter or field is invalid (named in `extra`).",
    "401": "The credentials given (a token) are invalid.",
    "403": "Not signed in, or the signed-in person may not do this.",
    "404": "No such item visible to you (the same answer for missing and not yours), or no such page.",
    "429": "Too many requests: wait the number of seconds in the Retry-After header.",
}


def error_responses_declared(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the error responses to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            sends_something = operation.get("parameters") or operation.get("requestBody")
            for code, description in ERRORS.items():
                if code == "400" and not sends_something:
                    continue
                responses.setdefault(code, {"description": description, "content": reference})
    return result
