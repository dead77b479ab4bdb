// Wake-on-LAN (§18.11): up to 32 servers, added on the page and removed after a
// confirmation; "Test" wakes every enabled server of the saved table.
import { $, api, confirmAction, pageData, say } from "../core.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#wol-form");
const table = $("#wol-targets");
const texts = pageData.texts || {};
const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (_, key) => (values[key] !== undefined ? values[key] : ""));
let next = pageData.next_row || 0;
let dirty = false;

const showEmpty = () => { $("#wol-empty").hidden = tableRows(table).length > 0; };
async function save() {
  const result = await saveRows(form, "/api/v1/wake-on-lan/targets", tableRows(table).map(readRow));
  if (result.ok) {
    tableRows(table).forEach((row, index) => { row.dataset.slot = String(index); });
    dirty = false;
  }
  return result;
}

if (form && table && $("#wol-add")) {
  table.addEventListener("change", () => { dirty = true; });
  table.addEventListener("input", () => { dirty = true; });

  $("#wol-add").addEventListener("click", () => {
    if (tableRows(table).length >= (pageData.max_rows || 32)) { say(texts.wol_full, true); return; }
    const index = String(next++);
    const fragment = $("#wol-targets-template").content.cloneNode(true);
    fragment.querySelectorAll("*").forEach((node) => {
      Array.from(node.attributes).forEach((attribute) => {
        if (attribute.value.includes("__ROW__")) node.setAttribute(attribute.name, attribute.value.split("__ROW__").join(index));
      });
    });
    const row = fragment.querySelector("tr");
    row.querySelector(".row-index").textContent = Number(index) + 1;
    $("tbody", table).appendChild(fragment);
    dirty = true;
    showEmpty();
    $('[name="mac"]', row).focus();
  });

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-remove-row]");
    if (!button) return;
    const row = button.closest("tr");
    const mac = $('[name="mac"]', row).value.trim() || "—";
    if (!(await confirmAction(fill(texts.wol_confirm_remove, { mac }), texts.wol_remove))) return;
    row.remove();
    showEmpty();
    if (row.dataset.slot === "") return; // never saved: nothing more to do
    const result = await save();
    if (result.ok) say(texts.wol_removed);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await save();
    if (result.ok) say(texts.wol_saved || "✔");
  });

  $("#wol-test").addEventListener("click", async () => {
    const out = $("#wol-test-result");
    const button = $("#wol-test");
    out.classList.remove("error", "ok");
    if (dirty) { out.textContent = texts.wol_not_saved; out.classList.add("error"); return; }
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
