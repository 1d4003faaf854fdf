"""Helpers shared by the API tests: raw stubs, error details, account builders, TLS files."""

import pytest

# The helpers assert; let pytest rewrite those asserts so failures show the values.
pytest.register_assert_rewrite("support.rpc")
