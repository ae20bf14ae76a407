"""Information sharing benchmark: Chinese search over 100,000 items, and publish → every
subscriber's inbox.

`await run(admin_url=..., bootstrap=..., items=100_000)` starts the info-sharing service
in-process on a fresh database (its lifespan runs for real: migrations, outbox relay,
consumer), then

1. fills it with `items` published items in one SQL statement per 10,000 (COPY into a staging
   table, then INSERT … SELECT computing each tsvector in PostgreSQL; the GIN index is built
   once after the load, as an operator would for a bulk import). The texts are drawn from a
   vocabulary of enforcement words with a Zipf-like frequency, so some query words match a
   few items and some tens of thousands; each item's words are the vocabulary words it was
   made of (the tokenizer gives exactly those for them);
2. runs `queries` searches through the REST API (`GET /items/search`, a town's token: the
   visibility filter applies, 20 per page, count included) and reports p50/p99, beside the
   same searches in SQL alone and a plain indexed lookup (`SELECT … WHERE id = $1`) measured
   in the same run;
3. subscribes every town and department to everything and publishes `publishes` items through
   the REST API (`POST /items` with `publish`): each lands in every subscriber's inbox in the
   publishing transaction. It reports items/s and inbox deliveries/s beside the raw
   single-row PostgreSQL commit rate measured in the same run.

`python -m bench.bench_info --items 20000` prints the figures on their own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.backbone import BENCH_NAMESPACE, Figures, new_database, raw_pg_commits
from xietong_common.auth import mint_token
from xietong_common.db import plain_url
from xietong_common.settings import ServiceSettings
from xietong_common.web import create_app

BENCH_SECRET = "xietong-bench-secret-not-for-production-0123456789"
BATCH = 10_000

# Words of enforcement texts (segmented by rjieba into themselves); more frequent first.
VOCABULARY = [
    "执法",
    "检查",
    "整改",
    "责令",
    "处罚",
    "街道",
    "乡镇",
    "部门",
    "情况",
    "通报",
    "工作",
    "开展",
    "专项",
    "整治",
    "管理",
    "违法",
    "行为",
    "现场",
    "巡查",
    "发现",
    "问题",
    "企业",
    "单位",
    "群众",
    "投诉",
    "举报",
    "办理",
    "结果",
    "依法",
    "规定",
    "要求",
    "落实",
    "加强",
    "监管",
    "安全",
    "隐患",
    "建筑",
    "垃圾",
    "餐饮",
    "油烟",
    "噪音",
    "夜间",
    "施工",
    "道路",
    "经营",
    "摊点",
    "广告",
    "招牌",
    "渣土",
    "运输",
    "车辆",
    "河道",
    "排污",
    "污水",
    "废气",
    "扬尘",
    "林地",
    "采伐",
    "消防",
    "通道",
    "堵塞",
    "燃气",
    "液化气",
    "危险",
    "化学品",
    "农药",
    "兽药",
    "种子",
    "化肥",
    "渔业",
    "捕捞",
    "水土",
    "保持",
    "取水",
    "许可",
    "审批",
    "规划",
    "用地",
    "违建",
    "拆除",
    "临时",
    "设施",
    "文化",
    "市场",
    "网吧",
    "娱乐",
    "场所",
    "旅游",
    "景区",
    "交通",
    "秩序",
    "停车",
    "超载",
    "治超",
    "电动车",
    "物业",
    "小区",
    "绿化",
    "树木",
    "砍伐",
    "焚烧",
    "秸秆",
    "养殖",
    "畜禽",
    "屠宰",
    "食品",
    "药品",
    "统计",
    "分析",
    "数据",
    "月度",
    "季度",
    "年度",
    "报表",
    "考核",
    "督查",
    "档案",
    "裁量",
    "基准",
    "流程",
    "规范",
    "标准",
    "办法",
    "细则",
    "通知",
    "意见",
    "方案",
    "决定",
    "文书",
    "送达",
    "听证",
    "复议",
    "诉讼",
    "强制",
    "执行",
    "罚款",
    "没收",
    "所得",
    "财物",
    "立案",
    "结案",
    "移送",
    "协助",
    "协同",
    "联合",
    "会商",
    "培训",
    "指导",
    "下沉",
    "派驻",
    "片区",
    "网格",
    "宣传",
    "教育",
    "谈话",
    "警示",
    "回访",
    "核查",
    "取证",
    "鉴定",
]


def _zipf_words(rng: random.Random, k: int) -> list[str]:
    n = len(VOCABULARY)
    return [VOCABULARY[min(int(rng.paretovariate(1.1)) - 1, n - 1)] for _ in range(k)]


def _texts(rng: random.Random) -> tuple[str, str]:
    title_words = [*_zipf_words(rng, 3), rng.choice(VOCABULARY), "情况"]
    body_words = _zipf_words(rng, 40) + rng.sample(VOCABULARY, 6)
    return " ".join(title_words), " ".join(body_words)


async def load_items(url: str, *, items: int, orgs: list[str], towns: list[str]) -> float:
    """`items` published, shared items, bulk-loaded in SQL; returns the seconds it took."""
    rng = random.Random(7)
    categories = ["laws-norms", "licensing-supervision", "inspection-records", "statistics",
                  "discretion-workflows", "dynamic", "other"]  # fmt: skip
    start = time.perf_counter()
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("DROP INDEX ix_items_search")
        await conn.execute(
            "CREATE TEMP TABLE staging (id uuid, category text, publisher text, title text, "
            "body text, towns text[], published_at timestamptz)"
        )
        base = datetime(2023, 1, 1, tzinfo=UTC)
        for offset in range(0, items, BATCH):
            rows = []
            for i in range(offset, min(offset + BATCH, items)):
                title, body = _texts(rng)
                rows.append(
                    (
                        uuid.uuid4(),
                        rng.choice(categories),
                        rng.choice(orgs),
                        title.replace(" ", ""),
                        body,  # the words, space-separated: what the index is made of
                        [rng.choice(towns)],
                        base + timedelta(minutes=7 * i),
                    )
                )
            await conn.copy_records_to_table("staging", records=rows)
            await conn.execute(
                """
                INSERT INTO items (id, series_id, version, state, category, publisher, title,
                    body, details, matter_codes, towns, restricted, audience, source_kind,
                    search, created_at, created_by, updated_at, published_at, published_by)
                SELECT id, id, 1, 'published', category, publisher, title,
                    replace(body, ' ', ''), '{}'::jsonb, '{}', towns, false, '{}', 'manual',
                    setweight(to_tsvector('simple', title), 'A')
                        || setweight(to_tsvector('simple', body), 'C'),
                    published_at, 'bench', published_at, published_at, 'bench'
                FROM staging
                """
            )
            await conn.execute("TRUNCATE staging")
        await conn.execute("CREATE INDEX ix_items_search ON items USING gin (search)")
        await conn.execute("ANALYZE items")
    finally:
        await conn.close()
    return time.perf_counter() - start


async def _indexed_lookups(url: str, n: int) -> Figures:
    conn = await asyncpg.connect(plain_url(url))
    try:
        ids = [r[0] for r in await conn.fetch("SELECT id FROM items ORDER BY random() LIMIT $1", n)]
        lat = []
        start = time.perf_counter()
        for item_id in ids:
            t0 = time.perf_counter()
            await conn.fetchrow("SELECT id, title, body FROM items WHERE id = $1", item_id)
            lat.append((time.perf_counter() - t0) * 1000)
        return Figures(
            "baseline: indexed lookup by id (SQL)", len(ids), time.perf_counter() - start, lat
        )
    finally:
        await conn.close()


async def _sql_searches(url: str, queries: list[str]) -> Figures:
    """The search's own SQL (match, rank, first page, count) without the service around it."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        lat = []
        start = time.perf_counter()
        for q in queries:
            t0 = time.perf_counter()
            await conn.fetch(
                "SELECT m.id, ts_rank_cd('{0.05,0.2,0.4,1.0}'::float4[], m.search, query) AS r "
                "FROM (SELECT id, search, published_at FROM items "
                "WHERE search @@ plainto_tsquery('simple', $1) AND state = 'published' "
                "ORDER BY published_at DESC LIMIT 2000) m, plainto_tsquery('simple', $1) query "
                "ORDER BY r DESC, m.published_at DESC LIMIT 20",
                q,
            )
            await conn.fetchval(
                "SELECT count(*) FROM (SELECT 1 FROM items WHERE "
                "search @@ plainto_tsquery('simple', $1) AND state = 'published' LIMIT 10001) c",
                q,
            )
            lat.append((time.perf_counter() - t0) * 1000)
        return Figures(
            "search: SQL only (rank newest 2,000; count ≤10,000)",
            len(queries),
            time.perf_counter() - start,
            lat,
        )
    finally:
        await conn.close()


def _token(settings: ServiceSettings, org: str, *roles: str) -> dict[str, str]:
    token = mint_token(settings, org=org, user=f"{org}/bench", roles=roles, ttl_s=3600)
    return {"Authorization": f"Bearer {token}"}


async def run(
    *,
    admin_url: str,
    bootstrap: str,
    items: int = 100_000,
    queries: int = 300,
    publishes: int = 200,
    concurrency: int = 4,
) -> dict[str, Any]:
    """Load `items`, time `queries` searches and `publishes` publications (see the module doc)."""
    from info_sharing.main import SPEC
    from info_sharing.settings import InfoSettings

    url = await new_database(admin_url, "info")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="xietong-bench-blobs-") as blobs:
        settings = InfoSettings(
            service_name="info-sharing",
            database_url=url.replace("postgresql://", "postgresql+asyncpg://", 1),
            kafka_bootstrap_servers=bootstrap,
            kafka_namespace=BENCH_NAMESPACE.prefix,
            jwt_secret=BENCH_SECRET,
            blob_dir=Path(blobs),
            run_jobs=False,
            run_consumer=False,  # nothing consumed here: not the topics' history either
            log_json=False,
            log_level="WARNING",
            database_pool_size=max(concurrency, 5),
        )
        app = create_app(SPEC, settings=settings)
        async with app.router.lifespan_context(app):
            ctx = app.state.ctx
            towns = sorted(o.code for o in ctx.directory.towns())
            depts = sorted(o.code for o in ctx.directory.departments())
            figures["load_seconds"] = await load_items(
                url, items=items, orgs=depts + towns, towns=towns
            )
            figures["items"] = items
            rng = random.Random(11)
            words = [
                " ".join(rng.sample(VOCABULARY, rng.choice((1, 1, 2)))) for _ in range(queries)
            ]
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                reader = _token(settings, towns[0])
                await client.get("/items/search", params={"q": "执法"}, headers=reader)  # warm
                lat = []
                start = time.perf_counter()
                for q in words:
                    t0 = time.perf_counter()
                    r = await client.get("/items/search", params={"q": q}, headers=reader)
                    r.raise_for_status()
                    lat.append((time.perf_counter() - t0) * 1000)
                figures["search"] = Figures(
                    f"search: REST over {items:,} items (page of 20)",
                    queries,
                    time.perf_counter() - start,
                    lat,
                )
                figures["search_sql"] = await _sql_searches(url, words)
                figures["lookup"] = await _indexed_lookups(url, queries)

                subscribers = towns + depts
                for org in subscribers:
                    r = await client.post(
                        "/subscriptions", json={}, headers=_token(settings, org, "clerk")
                    )
                    r.raise_for_status()
                publisher = _token(settings, "justice-bureau", "clerk")
                body = {
                    "category": "other",
                    "title": "关于开展联合执法检查的通知",
                    "body": "各乡镇（街道）、各部门：现将联合执法检查安排通知如下。",
                }
                queue = list(range(publishes))
                plat: list[float] = []

                async def worker() -> None:
                    while queue:
                        queue.pop()
                        t0 = time.perf_counter()
                        r = await client.post(
                            "/items", json={**body, "publish": True}, headers=publisher
                        )
                        r.raise_for_status()
                        plat.append((time.perf_counter() - t0) * 1000)

                start = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(concurrency)))
                elapsed = time.perf_counter() - start
            async with ctx.db.session() as session:
                from sqlalchemy import text

                delivered = (
                    await session.execute(text("SELECT count(*) FROM deliveries"))
                ).scalar_one()
            figures["subscribers"] = len(subscribers)
            figures["publish"] = Figures(
                f"publish → {len(subscribers)} inboxes, REST (c={concurrency})",
                publishes,
                elapsed,
                plat,
            )
            figures["deliveries"] = Figures(
                "inbox deliveries (rows) during those publishes", int(delivered), elapsed, []
            )
    return figures


def report(figures: dict[str, Any], raw_commit: Figures) -> list[str]:
    """The lines `make bench` prints."""
    search: Figures = figures["search"]
    lookup: Figures = figures["lookup"]
    publish: Figures = figures["publish"]
    deliveries: Figures = figures["deliveries"]
    return [
        f"info-sharing: {figures['items']:,} items bulk-loaded in {figures['load_seconds']:.1f} s "
        "(COPY + INSERT … SELECT, tsvector in SQL, GIN built after)",
        search.line(),
        figures["search_sql"].line(),
        f"{lookup.line()}   (search p50 is {search.pct(50) / lookup.pct(50):.0f}× a plain lookup)",
        f"{publish.line()}   ({publish.rate / raw_commit.rate:.2f}× raw PG commit rate)",
        f"{deliveries.line()}   ({deliveries.rate / raw_commit.rate:.1f}× raw PG commit rate)",
    ]


async def measure(*, admin_url: str, bootstrap: str, items: int) -> list[str]:
    raw = await raw_pg_commits(admin_url, 1000)
    figures = await run(admin_url=admin_url, bootstrap=bootstrap, items=items)
    return [raw.line(), *report(figures, raw)]


if __name__ == "__main__":
    from bench.running import servers

    parser = argparse.ArgumentParser(prog="python -m bench.bench_info")
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    admin, kafka = servers()
    lines = asyncio.run(measure(admin_url=admin, bootstrap=kafka, items=args.items))
    print("\n".join(lines))
