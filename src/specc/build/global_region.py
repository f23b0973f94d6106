"""What marks a resource for the global template (output/global_stack.py) and where that template is deployed.

Here, below the kinds and the output, so the compiler can split without importing the cdn or waf kinds (a spec
imports only the kinds it writes)."""

GLOBAL_MARK = "CdnRegion"  # the Condition (this stack is in us-east-1) kinds put on what belongs to the global stack
GLOBAL_REGION = "us-east-1"  # where CloudFront reads distributions' certificates and web ACLs
