"""Retrieval benchmark: an assistant with 10,000 knowledge chunks answers queries (p50/p99,
throughput, memory), hybrid (BM25 + all-MiniLM-L6-v2) and BM25-only; and a 100-page PDF is
ingested (text extracted, stored, chunked, indexed) end to end.

    .venv/bin/python bench/retrieval.py [--chunks 10000] [--queries 300] [--embed 512] [--pages 100]

Embedding 10,000 chunks with the numpy encoder takes minutes on 2 shared cores (the background
job does it once; vectors are cached per chunk). To keep the run short, ``--embed N`` chunks are
really embedded (their rate is reported) and the other chunks reuse those vectors; query cost
does not depend on the vectors' values. ``--embed 0`` embeds every chunk for real.

Query latency is the whole ``retrieval.search`` call on a warm index: the version check in the
database, the query's embedding (its cache is cleared before every query), BM25 scoring, the
dot product over all chunks and the fusion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402
from tests.factories import create_account, create_assistant  # noqa: E402
from tests.knowledge.pdfgen import make_pdf  # noqa: E402

from repdesk import config  # noqa: E402
from repdesk.db.engine import Database  # noqa: E402
from repdesk.db.migrate import upgrade  # noqa: E402
from repdesk.db.models_all import import_all_models  # noqa: E402
from repdesk.knowledge import embeddings, index, retrieval, tasks  # noqa: E402
from repdesk.knowledge import service as knowledge  # noqa: E402
from repdesk.knowledge.config import get_knowledge_settings  # noqa: E402
from repdesk.knowledge.models import IndexChunk, KnowledgeIndex  # noqa: E402

CITIES = ["Lagos", "Abuja", "Ibadan", "Port Harcourt", "Kano", "Enugu", "Benin", "Jos", "Accra"]
ITEMS = [
    "ankara dress",
    "leather sandals",
    "beaded necklace",
    "aso oke cap",
    "kaftan",
    "head wrap",
    "tote bag",
    "silk scarf",
    "agbada",
    "wrapper",
    "sneakers",
    "wristwatch",
]
TOPICS = [
    "Delivery to {city} for the {item} takes {n} working days and costs ₦{price},000.",
    "The {item} comes in {n} colours; the large size is ₦{price},500 while stocks last in {city}.",
    "Returns for a {item} bought in {city} are accepted within {n} days if unworn, with receipt.",
    "Our {city} store opens at {n}am and closes at 7pm; the {item} is on display there.",
    "Pay for the {item} by bank transfer, card or USSD; {city} customers can pay on delivery.",
    "Care guide: hand wash the {item} in cold water, dry in shade, iron on low heat ({n} minutes).",
    "Wholesale: buy {n} or more {item}s and get ₦{price}00 off each, delivered to {city}.",
]
QUERIES = [
    "how long does delivery to {city} take",
    "how much is the {item}",
    "can I return my {item}",
    "what time do you open in {city}",
    "do you accept transfer for {item}",
    "how do I wash the {item}",
    "discount if I buy many {item}s",
    "do you deliver {item} to {city}",
    "is the {item} available in big size",
    "where is your {city} shop",
]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def chunk_text(rng: random.Random, i: int) -> str:
    sentences = []
    for _ in range(4):
        tpl = rng.choice(TOPICS)
        sentences.append(
            tpl.format(
                city=rng.choice(CITIES),
                item=rng.choice(ITEMS),
                n=rng.randint(2, 9),
                price=rng.randint(2, 60),
            )
        )
    return f"Note {i}. " + " ".join(sentences)


async def build_corpus(db: Database, assistant_id: str, n_chunks: int) -> float:
    rng = random.Random(7)
    per_source = 100
    t0 = time.perf_counter()
    for start in range(0, n_chunks, per_source):
        async with db.transaction() as s:
            chunks = [
                index.ChunkInput(f"Note {i}", chunk_text(rng, i))
                for i in range(start, min(n_chunks, start + per_source))
            ]
            await index.replace_source(
                s,
                assistant_id=assistant_id,
                kind="knowledge",
                source_id=f"src{start:08d}",
                chunks=chunks,
            )
    return time.perf_counter() - t0


async def embed(db: Database, assistant_id: str, n_real: int) -> tuple[int, float]:
    """Embed n_real chunks for real (all when 0); the rest reuse those vectors."""
    async with db.session() as s:
        ids = list(
            (
                await s.scalars(
                    select(IndexChunk.id)
                    .where(IndexChunk.assistant_id == assistant_id)
                    .order_by(IndexChunk.id)
                )
            ).all()
        )
    real_ids = ids if n_real <= 0 else ids[:n_real]
    encoder = embeddings.get_encoder()
    assert encoder is not None
    t0 = time.perf_counter()
    vectors: list[bytes] = []
    for start in range(0, len(real_ids), 64):
        batch = real_ids[start : start + 64]
        async with db.transaction() as s:
            rows = (
                await s.execute(
                    select(IndexChunk.id, IndexChunk.title, IndexChunk.text).where(
                        IndexChunk.id.in_(batch)
                    )
                )
            ).all()
            vecs = encoder.encode([retrieval.embedding_input(r.title, r.text) for r in rows])
            for r, v in zip(rows, vecs, strict=True):
                raw = embeddings.to_bytes(v)
                vectors.append(raw)
                await s.execute(
                    update(IndexChunk)
                    .where(IndexChunk.id == r.id)
                    .values(embedding=raw, embedding_model=embeddings.MODEL_NAME)
                )
    took = time.perf_counter() - t0
    rest = ids[len(real_ids) :]
    for start in range(0, len(rest), 500):
        async with db.transaction() as s:
            for j, cid in enumerate(rest[start : start + 500]):
                await s.execute(
                    update(IndexChunk)
                    .where(IndexChunk.id == cid)
                    .values(
                        embedding=vectors[(start + j) % len(vectors)],
                        embedding_model=embeddings.MODEL_NAME,
                    )
                )
    return len(real_ids), took


async def queries(db: Database, assistant_id: str, n: int) -> dict[str, float]:
    rng = random.Random(11)
    texts = [
        rng.choice(QUERIES).format(city=rng.choice(CITIES), item=rng.choice(ITEMS))
        + f" {i}" * (i % 2)
        for i in range(n)
    ]
    async with db.session() as s:
        retrieval.forget(assistant_id)
        t0 = time.perf_counter()
        await retrieval.search(s, assistant_id=assistant_id, query="warm up", k=5)
        build = time.perf_counter() - t0
        lat: list[float] = []
        cpu: list[float] = []
        t_all = time.perf_counter()
        for q in texts:
            retrieval.clear_query_cache()
            t, c = time.perf_counter(), time.process_time()
            hits = await retrieval.search(s, assistant_id=assistant_id, query=q, k=5)
            lat.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            assert hits
        total = time.perf_counter() - t_all
    return {
        "build_s": build,
        "p50_ms": pct(lat, 50),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat),
        "cpu_p50_ms": pct(cpu, 50),
        "cpu_p99_ms": pct(cpu, 99),
        "qps": n / total,
    }


async def ingest_pdf(
    db: Database, workspace_id: str, assistant_id: str, pages: int
) -> dict[str, float]:
    rng = random.Random(3)
    page_texts = []
    for p in range(pages):
        lines = [f"Shop handbook, page {p + 1}"]
        while sum(len(x) for x in lines) < 2200:
            lines.append(chunk_text(rng, p).replace("₦", "NGN ")[:95])
        page_texts.append("\n".join(lines))
    data = make_pdf(page_texts)
    t0 = time.perf_counter()
    async with db.transaction() as s:
        item = await knowledge.create_file(
            s,
            workspace_id=workspace_id,
            assistant_id=assistant_id,
            filename="handbook.pdf",
            data=data,
        )
        item_id = item.id
    async with db.session() as s:  # what the knowledge.extract job does
        await tasks.extract_now(s, item_id)
        await s.commit()
    ingest = time.perf_counter() - t0
    async with db.session() as s:
        n_chunks = len(
            (await s.scalars(select(IndexChunk.id).where(IndexChunk.source_id == item_id))).all()
        )
    t0 = time.perf_counter()
    async with db.session() as s:
        while not await tasks.reindex_now(s, assistant_id, time_slice=3600):
            pass
        await s.commit()
    embed_s = time.perf_counter() - t0
    return {
        "pdf_mb": len(data) / 1e6,
        "pages": pages,
        "ingest_s": ingest,
        "chunks": n_chunks,
        "embed_s": embed_s,
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--embed", type=int, default=512)
    ap.add_argument("--pages", type=int, default=100)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="repdesk-bench-retrieval-"))
    url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    settings = config.Settings(data_dir=tmp, database_url=url, log_format="text")
    config.use_settings(settings)
    import_all_models()
    upgrade(url)
    db = Database(url)
    _user, ws = await create_account(db)
    assistant = await create_assistant(db, workspace_id=ws.id)
    print(f"machine: {os.cpu_count()} cpus; embeddings model installed: {embeddings.available()}")

    write_s = await build_corpus(db, assistant.id, args.chunks)
    print(
        f"index writes: {args.chunks} chunks in {write_s:.1f}s ({args.chunks / write_s:.0f} chunks/s)"
    )
    n_real, embed_s = await embed(db, assistant.id, args.embed)
    print(
        f"embedding: {n_real} chunks in {embed_s:.1f}s ({n_real / embed_s:.1f} chunks/s)"
        + (
            ""
            if n_real == args.chunks
            else f"; other {args.chunks - n_real} chunks reuse those vectors"
        )
    )
    async with db.transaction() as s:
        await s.execute(
            update(KnowledgeIndex)
            .where(KnowledgeIndex.assistant_id == assistant.id)
            .values(indexed_version=KnowledgeIndex.version, status="ready")
        )
    before = rss_mb()
    hybrid = await queries(db, assistant.id, args.queries)
    print(
        f"hybrid search over {args.chunks} chunks: index build {hybrid['build_s']:.2f}s, "
        f"p50 {hybrid['p50_ms']:.1f} ms, p99 {hybrid['p99_ms']:.1f} ms, max {hybrid['max_ms']:.1f} ms, "
        f"{hybrid['qps']:.0f} queries/s; RSS {rss_mb():.0f} MB (index + model ≈ {rss_mb() - before:.0f} MB)"
    )
    print(
        f"  CPU time per query (what an idle machine would take): p50 {hybrid['cpu_p50_ms']:.1f} ms,"
        f" p99 {hybrid['cpu_p99_ms']:.1f} ms; load average now {os.getloadavg()[0]:.1f}"
    )
    os.environ["REPDESK_EMBEDDINGS"] = "off"
    get_knowledge_settings.cache_clear()
    bm25 = await queries(db, assistant.id, args.queries)
    print(
        f"bm25-only search over {args.chunks} chunks: index build {bm25['build_s']:.2f}s, "
        f"p50 {bm25['p50_ms']:.1f} ms, p99 {bm25['p99_ms']:.1f} ms, {bm25['qps']:.0f} queries/s;"
        f" CPU p50 {bm25['cpu_p50_ms']:.1f} ms, p99 {bm25['cpu_p99_ms']:.1f} ms"
    )
    os.environ.pop("REPDESK_EMBEDDINGS")
    get_knowledge_settings.cache_clear()

    other = await create_assistant(db, workspace_id=ws.id, name="PDF")
    pdf = await ingest_pdf(db, ws.id, other.id, args.pages)
    print(
        f"pdf: {pdf['pages']} pages ({pdf['pdf_mb']:.2f} MB) ingested (extract, store, chunk, index "
        f"rows) in {pdf['ingest_s']:.2f}s -> {pdf['chunks']} chunks; background embedding of those "
        f"chunks {pdf['embed_s']:.1f}s"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
