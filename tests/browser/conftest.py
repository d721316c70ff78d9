from tests.service.conftest import stack

__all__ = ["stack"]
