"""The logs API as the log pages use it (§21): 5 records a page by default, paging past the
end, date ranges with errors naming the field, CSV for admin and Read/Write only, graph
series for every period with names in words, and the clear's outcome in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from netvision.services.web import logs
from tests.integration.test_web_helpers import READER_PASSWORD, WRITER_PASSWORD, client, login

pytest_plugins = ["tests.integration.test_web_helpers"]

MANUAL_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")


async def _json(session: Any, url: str, status: int = 200) -> Any:
    async with session.get(url) as response:
        body = await response.json()
        assert response.status == status, body
        return body


async def test_pages_ranges_and_errors_as_the_page_sends_them(make_web) -> None:
    web = await make_web()
    store = web.daemon.store
    now = datetime.now(UTC)
    for minute in range(12):
        store.add_history(
            now - timedelta(minutes=minute), {"load_rate": 45 + minute % 3, "input_voltage_l1": 230.0}
        )
    async with client() as session:
        await login(session, web.http, "writer", WRITER_PASSWORD)
        await store.flush()
        base = f"{web.http}/api/v1/logs"
        first = await _json(session, f"{base}/history")
        assert first["per_page"] == 5 and len(first["rows"]) == 5 and first["pages"] == 3
        assert all(MANUAL_TIME.match(row["time"]) for row in first["rows"])
        last = await _json(session, f"{base}/history?page=999&per_page=5")
        assert last["page"] == 3 and len(last["rows"]) == 2  # past the end: the last page
        today = now.date().isoformat()
        whole_day = await _json(session, f"{base}/netvision?start={today}&end={today}&per_page=50")
        assert any("logged in" in row["text"] for row in whole_day["rows"])
        assert all(MANUAL_TIME.match(row["time"]) for row in whole_day["rows"])
        for query, field in (("start=yesterday", "start"), ("end=2026-02-30", "end"), ("page=0", "page"),
                             ("per_page=x", "per_page"), ("start=2026-06-02&end=2026-06-01", "end"),
                             ("sort=level", "sort")):  # fmt: skip
            body = await _json(session, f"{base}/ups?{query}", 400)
            assert body["fields"][0]["field"] == field, query
        # Times in the configured zone: Paris is one or two hours ahead of UTC.
        await web.daemon.settings_manager.change({"system.time_zone": "Europe/Paris"}, via="test", by="test")
        row = (await _json(session, f"{base}/netvision"))["rows"][0]
        moment = datetime.fromisoformat(row["iso"])
        assert row["time"] == moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M:%S")
        # Empty values are the defaults (a form sends every field).
        assert (await _json(session, f"{base}/ups?page=1&per_page=5&sort=&order=&start=&end="))["page"] == 1


async def test_series_for_every_period_with_names_units_and_a_bounded_size(make_web) -> None:
    web = await make_web()
    store = web.daemon.store
    now = datetime.now(UTC)
    for second in range(0, 2 * 86400, 60):
        store.add_history(now - timedelta(seconds=second), {"load_rate": 46.0, "input_voltage_l1": 230.0})
    async with client() as session:
        await login(session, web.http, "reader", READER_PASSWORD)
        await store.flush()
        base = f"{web.http}/api/v1/logs/history/series"
        default = await _json(session, base)
        assert default["range"] == "30m" and 29 <= len(default["points"]) <= 31
        names = {s["key"]: (s["label"], s["unit"]) for s in default["series"]}
        assert names["input_voltage_l1"] == ("Input voltage L1", "V") and names["load_rate"] == (
            "Output load",
            "%",
        )
        assert "output_voltage_l1" not in names  # never recorded: not offered
        for preset in logs.GRAPH_PRESETS:
            body = await _json(session, f"{base}?range={preset}")
            assert len(body["points"]) <= logs.MAX_POINTS + 1, preset
        assert len((await _json(session, f"{base}?range=1d"))["points"]) >= logs.MAX_POINTS // 2
        start = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
        custom = await _json(session, f"{base}?range=custom&start={start}")
        assert custom["range"] == "custom" and len(custom["points"]) <= logs.MAX_POINTS + 1
        problem = await _json(
            session, f"{base}?range=custom&start=2026-06-02T10:00&end=2026-06-02T09:00", 400
        )
        assert problem["fields"][0]["field"] == "end"
        assert (await _json(session, f"{web.http}/api/v1/logs/extended/series?range=3h"))["points"] == []


async def test_csv_is_for_admin_and_read_write_and_a_clear_says_what_it_did(make_web) -> None:
    web = await make_web()
    async with client() as reader:
        await login(reader, web.http, "reader", READER_PASSWORD)
        async with reader.get(f"{web.http}/api/v1/logs/netvision/csv") as response:
            assert response.status == 403
        async with reader.get(f"{web.http}/logs/netvision") as response:
            assert "/api/v1/logs/netvision/csv" not in await response.text()
        async with reader.get(f"{web.http}/logs/clear") as response:
            page = await response.text()
            assert "/csv" not in page and "data-clear" not in page
    async with client() as writer:
        csrf = (await login(writer, web.http, "writer", WRITER_PASSWORD))["csrf"]
        async with writer.get(f"{web.http}/api/v1/logs/netvision/csv") as response:
            assert response.status == 200
        async with writer.get(f"{web.http}/logs/netvision") as response:
            assert "/api/v1/logs/netvision/csv" in await response.text()
        async with writer.delete(f"{web.http}/api/v1/logs/ups", headers={"X-CSRF-Token": csrf}) as response:
            assert (await response.json())["message"] == "UPS event log cleared"
        async with writer.patch(
            f"{web.http}/api/v1/account", json={"language": "fr"}, headers={"X-CSRF-Token": csrf}
        ) as response:
            assert response.status == 200
        async with writer.delete(
            f"{web.http}/api/v1/logs/history", headers={"X-CSRF-Token": csrf}
        ) as response:
            assert (await response.json())["message"] == "Historique effacé"
