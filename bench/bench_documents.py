"""Official documents: referral letters issued per second through the REST API, beside a
plain one-page render by the same library (WeasyPrint, the same fonts, one worker process)
in the same run.

`await run(admin_url=..., bootstrap=..., n=...)` starts the referral service in-process on a
fresh database, sends `n` referrals (not timed), then times the sender's first download of
each referral letter — the issue: the number taken in the transaction, the layout in the
service's worker process, the PDF stored by SHA-256, the row and the audit row — from
`concurrency` clients, and then the re-downloads (the stored bytes). The baseline lays out a
one-page HTML page of plain text in the same fonts in one worker process: what WeasyPrint
costs before our template, fonts' embedding of a real letter, the database and the store.
`python -m bench.bench_documents -n 20` prints the three figures.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import tempfile
import time
from typing import Any

import httpx

from bench.backbone import Figures
from bench.running import running
from xietong_common.documents.render import Fonts
from xietong_common.documents.settings import DocumentSettings
from xietong_devtools.files_corpus import pdf_bytes
from xietong_devtools.testing import sample_route

PLAIN = "<html lang='zh-CN'><body style='font-family: xt-body'><p>{}</p></body></html>"
_plain_config: dict[Fonts, Any] = {}


def plain_page(fonts: Fonts, text: str) -> int:
    """One page of plain text in the body font, laid out and written (in a worker)."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    config = _plain_config.get(fonts)
    if config is None:
        config = _plain_config[fonts] = FontConfiguration()
    face = f"@font-face {{ font-family: xt-body; src: url(file://{fonts.body}); }}"
    html = PLAIN.format(text).replace("<body", f"<head><style>{face}</style></head><body", 1)
    return len(weasyprint.HTML(string=html).write_pdf(font_config=config))


def _temporary_files_in(scratch: str) -> None:
    """The worker's temporary files (WeasyPrint's copies of the fonts, ~70 MB, which its end
    never removes) in a directory the bench removes, as the service's pools do."""
    tempfile.tempdir = scratch


async def baseline(n: int) -> Figures:
    """A plain one-page render, in one worker process as the service's documents are."""
    fonts = Fonts.of(DocumentSettings())
    text = "现将该案件移送你单位处理。" * 20
    loop = asyncio.get_running_loop()
    with (
        tempfile.TemporaryDirectory(prefix="xietong-bench-render-") as scratch,
        concurrent.futures.ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_temporary_files_in,
            initargs=(scratch,),
        ) as pool,
    ):
        await loop.run_in_executor(pool, plain_page, fonts, text)  # fonts load once
        latencies = []
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            await loop.run_in_executor(pool, plain_page, fonts, text)
            latencies.append((time.perf_counter() - t0) * 1000)
        return Figures(
            "plain one-page WeasyPrint render (1 worker)", n, time.perf_counter() - start, latencies
        )


async def referral_letters(
    *, admin_url: str, bootstrap: str, n: int, concurrency: int = 2
) -> tuple[Figures, Figures]:
    """Referral letters issued (first download by the sender), then downloaded again."""
    from referral.main import SPEC

    async with running(
        SPEC, admin_url=admin_url, bootstrap=bootstrap, concurrency=concurrency
    ) as svc:
        sender, matter, place, _receiver = sample_route(svc.ctx)
        headers = svc.headers(sender, ("handler", "clerk"))
        client = svc.client
        ids: list[str] = []
        for i in range(n + 1):
            r = await client.post(
                "/referrals",
                json={
                    "matter_code": matter,
                    "place_town": place,
                    "found_at": svc.ctx.clock.now().isoformat(),
                    "facts": f"基准测试案件{i}：当事人在河道管理范围内倾倒建筑垃圾约20立方米。",
                    "items": [{"name": "运输车辆", "quantity": "1", "unit": "辆"}],
                },
                headers=headers,
            )
            r.raise_for_status()
            rid = r.json()["id"]
            # A letter of the sender's own (a real PDF: uploads are inspected), so the send
            # issues nothing itself and the timed first download is the issue.
            for kind in ("letter", "item-list"):
                files = {"file": (f"{kind}.pdf", pdf_bytes(f"{kind} {i}"), "application/pdf")}
                up = await client.post(
                    f"/referrals/{rid}/materials", data={"kind": kind}, files=files, headers=headers
                )
                up.raise_for_status()
            (await client.post(f"/referrals/{rid}/send", headers=headers)).raise_for_status()
            ids.append(rid)
        warm = await client.get(
            f"/referrals/{ids.pop()}/documents/referral-letter.pdf", headers=headers
        )
        warm.raise_for_status()  # the worker's first document loads the fonts

        async def fetch_all(name: str) -> Figures:
            queue = list(ids)
            latencies: list[float] = []

            async def worker(client: httpx.AsyncClient) -> None:
                while queue:
                    rid = queue.pop()
                    t0 = time.perf_counter()
                    r = await client.get(
                        f"/referrals/{rid}/documents/referral-letter.pdf", headers=headers
                    )
                    r.raise_for_status()
                    latencies.append((time.perf_counter() - t0) * 1000)

            start = time.perf_counter()
            await asyncio.gather(*(worker(client) for _ in range(concurrency)))
            return Figures(name, len(ids), time.perf_counter() - start, latencies)

        issued = await fetch_all(f"referral letters issued (REST, c={concurrency})")
        again = await fetch_all(f"referral letters downloaded again (c={concurrency})")
        return issued, again


def line(f: Figures) -> str:
    return (
        f"{f.name:<52} {f.rate:8.2f} documents/s  p50 {f.pct(50):7.0f} ms  p99 {f.pct(99):7.0f} ms"
    )


async def run(*, admin_url: str, bootstrap: str, n: int) -> list[str]:
    plain = await baseline(n)
    issued, again = await referral_letters(admin_url=admin_url, bootstrap=bootstrap, n=n)
    return [
        "official documents (公文, GB/T 9704 PDF/A), beside a plain page by the same library:",
        line(plain),
        line(issued),
        f"{'':52} the letter is {issued.rate / plain.rate:.2f}× the plain page's rate",
        line(again),
    ]


if __name__ == "__main__":
    from bench.running import run_alone

    parser = argparse.ArgumentParser(prog="python -m bench.bench_documents")
    parser.add_argument("-n", type=int, default=20, help="documents per figure")
    args = parser.parse_args()
    run_alone(lambda admin, kafka: run(admin_url=admin, bootstrap=kafka, n=args.n))
