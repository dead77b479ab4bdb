#!/usr/bin/env python3
"""Web server: latency (p50/p99) and throughput of the snapshot endpoint and of the
home page with 1 and 50 concurrent clients on loopback, and the bytes the home page
transfers (page + style sheet + script).

The daemon (poller, web service) and the simulated UPS run in this process; the
clients run in a child process (``--client``) so that they do not share the
server's event loop. Aim: p99 under 25 ms at 50 clients for the snapshot
endpoint; home page under 300 KB.

usage: scripts/bench_web.py [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time

from benchlib import ROOT, free_port

sys.path.insert(0, str(ROOT))

PASSWORD = "Bench12345678!"


async def client_main(base: str, path: str, clients: int, seconds: float) -> None:
    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)
    connector = aiohttp.TCPConnector(limit=clients + 5)
    async with aiohttp.ClientSession(cookie_jar=jar, connector=connector) as session:
        async with session.post(f"{base}/api/v1/login", json={"user": "admin", "password": PASSWORD}) as response:
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
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "rate": len(latencies) / elapsed,
                "p50": statistics.median(latencies) * 1000,
                "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            }
        )
    )


async def server_main(seconds: float) -> None:
    import aiohttp

    from netvision.daemon import Daemon
    from netvision.settings import Settings
    from netvision.sim import Simulator

    simulator = Simulator(map_name="jbusp", topology="three_phase", seed=1)
    await simulator.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings.model_validate(
            {
                "data_dir": data,
                "serial": {"device": simulator.device_path},
                "web": {"http_port": port, "https_enabled": False, "bind": "127.0.0.1"},
                "snmp": {"enabled": False},
            }
        )
        daemon = Daemon(settings)
        await daemon.start()
        try:
            assert daemon.poller is not None
            while not daemon.poller.snapshot.communicating:
                await asyncio.sleep(0.1)
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
        finally:
            await daemon.stop()
            await simulator.stop()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        base, path, clients, seconds = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
        asyncio.run(client_main(base, path, clients, seconds))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    arguments = parser.parse_args()
    asyncio.run(server_main(arguments.seconds))


if __name__ == "__main__":
    main()
