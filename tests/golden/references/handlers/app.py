"""Handlers ported unchanged from a Serverless Framework service: they read the names they chose."""

import os


def process(event, context):
    return {"queue": os.environ["QUEUE_URL"], "table": os.environ["TABLE_NAME"], "region": os.environ["REGION"]}


def skill(event, context):
    return {"version": "1.0", "response": {"outputSpeech": {"type": "PlainText", "text": "Hello"}}}
