"""Schemathesis hooks: how to send the NDJSON snapshot body: a list is one JSON value per
line, anything else one line."""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    lines = value if isinstance(value, list) else [value]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()
