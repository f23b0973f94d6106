"""A handler for the split-service deploy test (moto never runs Lambda code)."""


def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
