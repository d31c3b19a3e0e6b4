# schemathesis hooks for Schemas/server-api.yaml (loaded by Schemas/server-api.schemathesis.toml, `hooks`):
# POST /api/v1/ingest takes record lines as application/x-ndjson or application/jsonl, media types
# schemathesis has no serializer for. Their bodies are strings, sent as they are (UTF-8).
import schemathesis


@schemathesis.serializer("application/x-ndjson", "application/jsonl")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")
