import os


def handler(event, context):
    return {"statusCode": 201, "body": os.environ["TABLE_INVOICES"]}
