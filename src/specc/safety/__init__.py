"""Data safety: what a change would do to stored data, and the guards that keep it from happening by accident.

data_loss.py     which changes delete or replace a resource that holds data (and which look like renames), in words
stack_policy.py  the stack policy that denies Update:Replace and Update:Delete on those resources
guard.py         what `specc deploy` and `specc rollout` run before changing anything: find the losses, ask or refuse
"""
