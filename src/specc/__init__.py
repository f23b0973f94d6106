"""specc: compile a short declarative service spec into secure, deterministic CloudFormation."""

__version__ = "0.1.0"
