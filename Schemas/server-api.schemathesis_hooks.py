# schemathesis hooks for Schemas/server-api.yaml (loaded by Schemas/server-api.schemathesis.toml, `hooks`):
# POST /api/v1/ingest takes record lines as application/x-ndjson or application/jsonl, media types
# schemathesis has no serializer for. Their bodies are strings, sent as they are (UTF-8).
import schemathesis


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


# PUT /api/v1/inventory replaces the whole model: after a generated inventory is installed, the
# operations tested next would only meet that (usually empty) inventory and answer 404. When
# VIGIE_SCHEMATHESIS_INVENTORY names the server's inventory file (the test sets it), it is put back
# after every accepted replacement, so that every operation keeps finding the test's nodes.
import os

import requests


@schemathesis.hook
def after_call(ctx, case, response):
    path = os.environ.get("VIGIE_SCHEMATHESIS_INVENTORY")
    if not path or case.operation.path != "/api/v1/inventory" or case.method.upper() != "PUT" or response.status_code != 200:
        return
    with open(path, "rb") as f:
        body = f.read()
    headers = {"Content-Type": "application/yaml"}
    auth = response.request.headers.get("Authorization")
    if auth:
        headers["Authorization"] = auth
    restored = requests.put(response.request.url, data=body, headers=headers, timeout=20)
    if restored.status_code != 200:
        raise RuntimeError(f"could not restore the inventory: HTTP {restored.status_code} {restored.text[:200]}")
