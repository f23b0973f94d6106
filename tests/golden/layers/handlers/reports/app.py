def handler(event, context):
    return {"reports": []}
