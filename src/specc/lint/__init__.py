"""Lint: cfn-lint over every template in every target region, cached by what determines its findings."""
