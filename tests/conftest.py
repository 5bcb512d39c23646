import pytest

from course_utils import data


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST (``make test`` fetches it first with ``make data``)."""
    return data.load_mnist(verbose=False)
