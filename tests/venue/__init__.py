import pytest

# The shared checks in recorded_session fail with pytest's diff, as a test's own asserts do.
pytest.register_assert_rewrite("tests.venue.recorded_session")
