import os


def handler(event, context):
    return {"products": os.environ["TABLE_PRODUCTS"], "orders": os.environ["TABLE_ORDERS"]}
