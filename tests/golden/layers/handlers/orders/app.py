"""Uses the layer's shared package and orjson from its own requirements.txt."""

import orjson
from shared.http import response


def handler(event, context):
    return response(200, orjson.loads(b"{\"ok\": true}"))
