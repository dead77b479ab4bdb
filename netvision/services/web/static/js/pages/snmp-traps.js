// SNMP trap receivers (§18.8): 8 rows, saved together; a test trap per saved row.
import { $, $$, api, pageData, say } from "../core.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#traps-form");
const table = $("#trap-receivers");
const texts = pageData.texts || {};
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => (values[key] !== undefined ? values[key] : ""));

// Each receiver's event selection is in the line under it.
const detail = (row) => $(`tr[data-detail-for="${row.dataset.row}"]`, table);

function rowState(row) {
  const byEvents = $('[name="event_filter"]', row).value === "events";
  const severity = $('[name="severity"]', row);
  $(".event-select", detail(row)).classList.toggle("unused", !byEvents);
  severity.disabled = byEvents || severity.hasAttribute("data-locked");
  $("[data-events-count]", detail(row)).textContent = $$('input[name="events"]:checked', detail(row)).length;
}

if (form && table) {
  tableRows(table).forEach((row) => {
    const severity = $('[name="severity"]', row);
    if (severity.disabled) severity.setAttribute("data-locked", "");
    rowState(row);
    const changed = () => { row.dataset.dirty = "1"; rowState(row); };
    row.addEventListener("change", changed);
    detail(row).addEventListener("change", changed);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const rows = tableRows(table).map((row) => {
      const value = readRow(row);
      value.events = $$('input[name="events"]:checked', detail(row)).map((box) => Number(box.value));
      return value;
    });
    const result = await saveRows(form, "/api/v1/snmp/trap-receivers", rows, texts.set);
    if (result.ok) {
      say(texts.saved || "✔");
      // Saved rows are stored first, in page order: each used row is now saved at its place.
      let slot = 0;
      tableRows(table).forEach((row) => {
        row.dataset.dirty = "";
        row.dataset.slot = $('[name="address"]', row).value.trim() ? String(slot++) : "";
      });
    }
  });

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-test-trap]");
    if (!button) return;
    const row = button.closest("tr");
    const out = $("[data-test-result]", row);
    out.classList.remove("error", "ok");
    if (row.dataset.slot === "" || row.dataset.dirty === "1") {
      out.textContent = texts.not_saved;
      out.classList.add("error");
      return;
    }
    button.disabled = true;
    out.textContent = texts.sending || "…";
    const result = await api("POST", `/api/v1/snmp/trap-receivers/${row.dataset.slot}/test`);
    button.disabled = false;
    const data = result.data || {};
    let text;
    if (result.ok) text = fill(texts.sent, { to: data.to });
    else if (data.reason === "snmp_off") text = texts.snmp_off;
    else if (data.reason === "not_saved") text = texts.not_saved;
    else text = fill(texts.error, { error: data.error || ("HTTP " + result.status) });
    out.textContent = text;
    out.classList.add(result.ok ? "ok" : "error");
  });
}
