def test_excluded_from_zip():
    assert True
