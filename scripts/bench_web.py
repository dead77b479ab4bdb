#!/usr/bin/env python3
"""Web server: latency (p50/p99) and throughput of the snapshot endpoint and of the
home page with 1 and 50 concurrent clients on loopback, and the bytes the home page
transfers (page + style sheet + script).

The daemon (poller, web service) runs in this process, the simulated UPS in its
own; the clients run in a child process (``--client``) so that they do not share the
server's event loop. Aim: p99 under 25 ms at 50 clients for the snapshot
endpoint; home page under 300 KB.

The time to first render of the home page is measured in headless Chromium (Debian's
chromium driven by Playwright, in a child process too): the browser's own
first-contentful-paint time after login, for a first load and the median of
``--loads`` loads after it. Aim: first render under 500 ms.

usage: scripts/bench_web.py [--seconds 5] [--loads 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchlib import (
    SIMULATOR,
    children,
    daemon_reading,
    free_port,
    percentile,
    settings_document,
    start_simulator,
)

PASSWORD = "Bench12345678!"


async def client_main(base: str, path: str, clients: int, seconds: float) -> None:
    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)
    connector = aiohttp.TCPConnector(limit=clients + 5)
    async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as session:
        async with session.post(
            f"{base}/api/v1/login", json={"user": "admin", "password": PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                async with session.get(base + path) as response:
                    await response.read()
                    assert response.status == 200
                latencies.append(time.perf_counter() - start)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "rate": len(latencies) / elapsed,
                "p50": statistics.median(latencies) * 1000,
                "p99": percentile(latencies, 0.99) * 1000,
            }
        )
    )


CHROMIUM = "/usr/bin/chromium"
FIRST_PAINT = """() => new Promise((resolve) => {
  const found = () => performance.getEntriesByName('first-contentful-paint')[0];
  if (found()) return resolve(found().startTime);
  new PerformanceObserver(() => { if (found()) resolve(found().startTime); }).observe({type: 'paint', buffered: true});
})"""


async def render_main(base: str, loads: int) -> None:
    """Time to first render of the home page in Chromium: the first load, then ``loads`` more."""
    import shutil

    try:
        from playwright.async_api import async_playwright
    except ImportError:
        print(json.dumps({"skipped": "the playwright Python package is not installed"}))
        return
    if not shutil.which(CHROMIUM):
        print(json.dumps({"skipped": f"{CHROMIUM} is not installed"}))
        return
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        response = await context.request.post(
            f"{base}/api/v1/login", data={"user": "admin", "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        page = await context.new_page()
        transferred: list[int] = []

        async def weigh(request: object) -> None:
            sizes = await request.sizes()  # type: ignore[attr-defined]
            transferred.append(sizes["responseBodySize"] + sizes["responseHeadersSize"])

        page.on("requestfinished", weigh)
        paints: list[float] = []
        loaded: list[float] = []
        first_weight = 0
        for number in range(loads + 1):
            transferred.clear()
            await page.goto(base + "/", wait_until="load")
            paints.append(await page.evaluate(FIRST_PAINT))
            loaded.append(
                await page.evaluate("() => performance.getEntriesByType('navigation')[0].loadEventEnd")
            )
            if number == 0:
                await page.wait_for_timeout(300)  # the requests the page's scripts make once loaded
                first_weight = sum(transferred)
        version = browser.version
        await browser.close()
    print(
        json.dumps(
            {
                "first": paints[0],
                "median": statistics.median(paints[1:]),
                "worst": max(paints[1:]),
                "load_median": statistics.median(loaded[1:]),
                "bytes": first_weight,
                "version": version,
            }
        )
    )


async def server_main(seconds: float, loads: int) -> None:
    import aiohttp

    port = free_port()
    with tempfile.TemporaryDirectory() as name, children() as processes:
        directory = Path(name)
        link = directory / "ups"
        processes.append(start_simulator(link, *SIMULATOR))
        http = {"http_enabled": True, "http_port": port, "bind": "127.0.0.1"}
        async with daemon_reading(settings_document(directory, link, web=http)) as daemon:
            web = next(service for service in daemon.services if service.name == "web")
            web.state.accounts.change_password("admin", PASSWORD)
            base = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
                async with session.post(f"{base}/api/v1/login", json={"user": "admin", "password": PASSWORD}):
                    pass
                async with session.get(base + "/") as response:
                    page = await response.text()
                total = len(page.encode())
                for asset in ("app.css", "js/core.js", "js/main.js", "js/forms.js", "js/pages/home.js"):
                    async with session.get(f"{base}/static/{asset}") as response:
                        total += len(await response.read())
            print(f"home page: {len(page.encode())} bytes HTML, {total} bytes with style sheet and script")
            process = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--render", base, str(loads), stdout=asyncio.subprocess.PIPE
            )  # fmt: skip
            output, _ = await process.communicate()
            result = json.loads(output.decode().strip().splitlines()[-1])
            if "skipped" in result:
                print(f"first render: skipped ({result['skipped']})")
            else:
                print(
                    f"home page in Chromium {result['version']}: first render {result['first']:.0f} ms on the first "
                    f"load, median {result['median']:.0f} ms (worst {result['worst']:.0f} ms) over {loads} loads; "
                    f"load event {result['load_median']:.0f} ms; {result['bytes']} bytes transferred on the first load"
                )
            for path in ("/api/v1/snapshot", "/"):
                for clients in (1, 50):
                    process = await asyncio.create_subprocess_exec(
                        sys.executable, __file__, "--client", base, path, str(clients), str(seconds),
                        stdout=asyncio.subprocess.PIPE,
                    )  # fmt: skip
                    output, _ = await process.communicate()
                    result = json.loads(output.decode().strip().splitlines()[-1])
                    print(
                        f"{path:18} clients={clients:3} requests={result['requests']:6} "
                        f"rate={result['rate']:8.0f}/s p50={result['p50']:6.2f} ms p99={result['p99']:6.2f} ms"
                    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        base, path, clients, seconds = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
        asyncio.run(client_main(base, path, clients, seconds))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--render":
        asyncio.run(render_main(sys.argv[2], int(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--loads", type=int, default=15, help="home page loads in Chromium (after a first one)"
    )
    arguments = parser.parse_args()
    asyncio.run(server_main(arguments.seconds, arguments.loads))


if __name__ == "__main__":
    main()
