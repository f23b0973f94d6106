#!/usr/bin/env bash
# Deploy and roll out specs/prod.yaml on a local AWS emulator (moto server on 127.0.0.1).
# Filled in by the rollout work (issue 3); until then it says so and succeeds without pretending.
set -euo pipefail
echo "run-local: local deployment and rollout are not implemented yet (issue 3)."
