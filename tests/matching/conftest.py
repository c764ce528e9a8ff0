from tests.api.conftest import api, as_user  # noqa: F401 (fixtures)
