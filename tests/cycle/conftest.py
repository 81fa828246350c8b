from tests.workflows.conftest import time_skipping_env

__all__ = ["time_skipping_env"]
