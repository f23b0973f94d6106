"""Shared by the functions that use the common layer."""
