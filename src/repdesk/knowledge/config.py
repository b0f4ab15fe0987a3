"""Knowledge settings (env prefix ``REPDESK_``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPDESK_", extra="ignore")

    # auto: the bundled all-MiniLM-L6-v2 weights when installed; off: BM25 only; http: an
    # OpenAI-compatible /embeddings endpoint (embeddings_base_url, _api_key, _model).
    embeddings: Literal["auto", "off", "http"] = "auto"
    embeddings_base_url: str = ""
    embeddings_api_key: str = ""
    embeddings_model: str = "text-embedding-3-small"
    embeddings_timeout: float = 10.0
    # BLAS threads for the local encoder and vector scoring (0: the library's default).
    embeddings_threads: int = 1
    # A directory with model.safetensors and tokenizer.json; empty: the bundled package.
    embeddings_model_dir: str = ""
    knowledge_max_upload_mb: int = 10
    # Chunks embedded on the fly by a search that finds fresh, not yet indexed content.
    knowledge_inline_embed_limit: int = 64


@lru_cache(maxsize=1)
def get_knowledge_settings() -> KnowledgeSettings:
    return KnowledgeSettings()
