"""Handlers as they come from other frameworks: each one named by tests/errors/handler_functions.yaml."""

from fastapi import FastAPI
from flask import Flask

app = Flask(__name__)
api = FastAPI()
GREETING = "hello"


def lucky_number(event, context):
    return {"number": 7}


async def fetch(event, context):
    return {}


class Handler:
    def __call__(self, event, context):
        return {}


def only_event(event):
    return event


handler = app  # reassigned below: the last binding is what Lambda finds
handler = Handler()


def run_async(function):
    return function


@run_async
async def decorated(event, context):  # a decorator may make it what Lambda calls: accepted
    return {}
