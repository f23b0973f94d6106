import json


def response(status, body):
    return {"statusCode": status, "body": json.dumps(body)}
