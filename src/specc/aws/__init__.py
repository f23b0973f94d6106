"""Talking to AWS (or a local emulator) for `specc bootstrap`, `deploy`, `rollout` and `status`.

session.py  one boto3 session per account, the usual AWS settings, AWS's refusals as one-line errors
artifacts.py  uploads to the per-account, per-region artifact bucket (code zips, templates)
stacks.py   one stack through a change set: create or update, wait, outputs; "no changes" is success
stacksets.py  the StackSet and its instances, with progress per instance
status.py   what is deployed where, and whether it is what the spec compiles to
"""
