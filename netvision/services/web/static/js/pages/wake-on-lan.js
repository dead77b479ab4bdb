// Wake-on-LAN (§18.11): the servers are a table of rows (rows.js); "Test" wakes every
// enabled server of the saved table, so it first asks to save what was changed.
import { $, api, pageData } from "../core.js";
import { fill } from "../forms.js";

const form = $("#wol-form");
const texts = pageData.texts || {};
const button = $("#wol-test");

if (form && button) {
  button.addEventListener("click", async () => {
    const out = $("#wol-test-result");
    out.classList.remove("error", "ok");
    if (form.dataset.dirty === "1") { out.textContent = texts.wol_not_saved; out.classList.add("error"); return; }
    button.disabled = true;
    out.textContent = texts.wol_sending || "…";
    const result = await api("POST", "/api/v1/wake-on-lan/test");
    button.disabled = false;
    const data = result.data || {};
    let text;
    if (result.ok) text = data.packets ? fill(texts.wol_sent, { packets: data.packets, servers: data.servers }) : texts.wol_none;
    else if (data.reason === "wol_off") text = texts.wol_not_running;
    else text = fill(texts.test_failed, { error: data.error || ("HTTP " + result.status) });
    out.textContent = text;
    out.classList.add(result.ok && data.packets ? "ok" : "error");
  });
}
