"""Build: what the kinds share while turning a checked spec into one template (context, names, least-privilege IAM,
code artifacts, log buckets, state machines), and the service-wide finishing steps."""
