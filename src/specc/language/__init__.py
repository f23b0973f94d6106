"""Load: a spec file read into plain values with a span map, located diagnostics, and the building blocks of the
spec language (shared types and the service-wide sections) that every later stage shares."""
