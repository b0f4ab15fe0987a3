from tests.fakes.graph import graph  # noqa: F401  (fixture)
