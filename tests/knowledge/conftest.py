from tests.fakes.embeddings import embedding_server  # noqa: F401  (fixture)
