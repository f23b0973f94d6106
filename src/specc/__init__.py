"""specc: compile a short declarative service spec into secure, deterministic CloudFormation."""

__version__ = "0.1.0"
DISTRIBUTION = "specc-cfn"  # the name on the package index (`specc` there is another project); the command is `specc`
