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
    # Reading an uploaded document (in a child process, in the knowledge.extract job): more
    # text than this is refused; pages past the bound are not read; a DOCX whose parts unpack
    # past the size or inflate more than the ratio is refused unread; time and memory bounds.
    knowledge_max_extracted_chars: int = 1_000_000
    knowledge_max_pages: int = 500
    knowledge_max_unpacked_mb: int = 100
    knowledge_max_compression_ratio: int = 100
    knowledge_extract_timeout: float = 60.0
    knowledge_extract_memory_mb: int = 1024
    # Chunks embedded on the fly by a search that finds fresh, not yet indexed content.
    knowledge_inline_embed_limit: int = 64


@lru_cache(maxsize=1)
def get_knowledge_settings() -> KnowledgeSettings:
    return KnowledgeSettings()
