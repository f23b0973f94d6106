# A test module in the api golden case's code directory: packaging leaves `test_*.py` out of the function's zip
# (tests/test_golden.py checks it is not in the artifact). It defines no test: pytest collects nothing here.
HOME_TESTED = False
