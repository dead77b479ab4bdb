// Client Table (§15): the connections to the NUT server, read again every few seconds.
import { $, api, el, pageData } from "../core.js";

const texts = pageData.texts || {};
const table = $("#clients-table");
const PERIOD_MS = 5000;

function cells(client) {
  const headers = Array.from(table.tHead.rows[0].cells).map((cell) => cell.textContent);
  const values = [client.index, client.address, client.user || "—", client.ups || "—", client.connected_text, client.role_text,
    client.tls ? texts.yes : texts.no];
  const row = el("tr", { "data-client": String(client.index) });
  values.forEach((value, index) => row.appendChild(el("td", { "data-label": headers[index] }, String(value))));
  return row;
}

async function refresh() {
  try {
    const result = await api("GET", "/api/v1/nut/clients");
    if (result.ok && result.data) {
      const body = table.tBodies[0];
      body.replaceChildren(...result.data.clients.map(cells));
      $("#clients-count").textContent = String(result.data.count);
      $("#clients-empty").hidden = result.data.count > 0;
    }
  } catch (e) {
    // The network is gone for a moment: the table is read again at the next turn.
  } finally {
    setTimeout(refresh, PERIOD_MS);
  }
}

if (table) setTimeout(refresh, PERIOD_MS);
