def entry(event, context):
    return {"statusCode": 204}
