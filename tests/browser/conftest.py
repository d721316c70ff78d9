from tests.service.conftest import stack, timestamps

__all__ = ["stack", "timestamps"]
