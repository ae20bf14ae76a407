"""Chinese search: tokenizer + tsvector/GIN against pg_trgm/GIN on the same texts
(docs/search.md). `python -m bench.search_compare` (N=100000 by default, env N)."""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time

import asyncpg

from bench.backbone import new_database
from bench.bench_info import VOCABULARY, _texts
from xietong_common.db import plain_url


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def compare(admin_url: str, n: int, queries: int = 200) -> list[str]:
    conn = await asyncpg.connect(plain_url(await new_database(admin_url, "trgm")))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        await conn.execute(
            "CREATE TABLE docs (id bigserial primary key, body text, words tsvector)"
        )
        await conn.execute("CREATE TEMP TABLE s (body text, words text)")
        rng = random.Random(7)
        rows = []
        for _ in range(n):
            title, body = _texts(rng)
            words = f"{title} {body}"
            rows.append((words.replace(" ", ""), words))
        await conn.copy_records_to_table("s", records=rows)
        await conn.execute(
            "INSERT INTO docs (body, words) SELECT body, to_tsvector('simple', words) FROM s"
        )
        t0 = time.perf_counter()
        await conn.execute("CREATE INDEX docs_words ON docs USING gin (words)")
        t1 = time.perf_counter()
        await conn.execute("CREATE INDEX docs_trgm ON docs USING gin (body gin_trgm_ops)")
        t2 = time.perf_counter()
        await conn.execute("ANALYZE docs")
        sizes = {
            r[0]: r[1]
            for r in await conn.fetch(
                "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_class c "
                "WHERE c.relname IN ('docs_words', 'docs_trgm')"
            )
        }
        qrng = random.Random(11)
        two = [w for w in VOCABULARY if len(w) == 2]
        fts: list[float] = []
        trgm: list[float] = []
        extra: list[float] = []
        for word in (qrng.choice(two) for _ in range(queries)):
            a = time.perf_counter()
            words = await conn.fetchval(
                "SELECT count(*) FROM docs WHERE words @@ plainto_tsquery('simple', $1)", word
            )
            await conn.fetch(
                "SELECT id FROM docs, plainto_tsquery('simple', $1) q WHERE words @@ q "
                "ORDER BY ts_rank_cd(words, q) DESC LIMIT 20",
                word,
            )
            b = time.perf_counter()
            chars = await conn.fetchval(
                "SELECT count(*) FROM docs WHERE body LIKE '%' || $1 || '%'", word
            )
            await conn.fetch(
                "SELECT id FROM docs WHERE body LIKE '%' || $1 || '%' "
                "ORDER BY similarity(body, $1) DESC LIMIT 20",
                word,
            )
            c = time.perf_counter()
            fts.append((b - a) * 1000)
            trgm.append((c - b) * 1000)
            extra.append((chars - words) / max(chars, 1))
        plan = await conn.fetch("EXPLAIN SELECT count(*) FROM docs WHERE body LIKE '%餐饮%'")
    finally:
        await conn.close()
    return [
        f"{n:,} texts; GIN build: tsvector {t1 - t0:.1f} s ({sizes.get('docs_words')}), "
        f"pg_trgm {t2 - t1:.1f} s ({sizes.get('docs_trgm')})",
        f"two-character words, count + first 20 ranked: tsvector p50 {_pct(fts, 50):.1f} ms "
        f"p99 {_pct(fts, 99):.1f} ms; pg_trgm LIKE p50 {_pct(trgm, 50):.1f} ms "
        f"p99 {_pct(trgm, 99):.1f} ms",
        f"pg_trgm matches that are no word (characters across two words): "
        f"mean {statistics.mean(extra):.1%}, max {max(extra):.1%}",
        "pg_trgm plan for 餐饮: " + " / ".join(str(r[0]).strip() for r in plan),
    ]


if __name__ == "__main__":
    admin = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:15432/postgres")
    print("\n".join(asyncio.run(compare(admin, int(os.environ.get("N", "100000"))))))
