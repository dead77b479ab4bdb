// E-mail recipients (§18.9): 8 rows saved together; a test mail per saved row, with the
// mail server's answer in words; a row is cleared after a confirmation.
import { $, $$, api, confirmAction, pageData, say } from "../core.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#recipients-form");
const table = $("#mail-recipients");
const texts = pageData.texts || {};
const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (_, key) => (values[key] !== undefined ? values[key] : ""));

const detail = (row) => $(`tr[data-detail-for="${row.dataset.row}"]`, table);

function rowState(row) {
  const byEvents = $('[name="event_filter"]', row).value === "events";
  const severity = $('[name="severity"]', row);
  $(".event-select", detail(row)).classList.toggle("unused", !byEvents);
  severity.disabled = byEvents || severity.hasAttribute("data-locked");
  $("[data-events-count]", detail(row)).textContent = $$('input[name="events"]:checked', detail(row)).length;
}

const readAll = () => tableRows(table).map((row) => {
  const value = readRow(row);
  value.events = $$('input[name="events"]:checked', detail(row)).map((box) => Number(box.value));
  return value;
});

async function save() {
  const result = await saveRows(form, "/api/v1/mail/recipients", readAll());
  if (result.ok) {
    // Rows with an address are stored first, in page order: each is now saved at its place.
    let slot = 0;
    tableRows(table).forEach((row) => {
      row.dataset.dirty = "";
      row.dataset.slot = $('[name="address"]', row).value.trim() ? String(slot++) : "";
    });
  }
  return result;
}

if (form && table) {
  tableRows(table).forEach((row) => {
    const severity = $('[name="severity"]', row);
    if (severity.disabled) severity.setAttribute("data-locked", "");
    rowState(row);
    const changed = () => { row.dataset.dirty = "1"; rowState(row); };
    row.addEventListener("change", changed);
    row.addEventListener("input", () => { row.dataset.dirty = "1"; });
    detail(row).addEventListener("change", changed);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await save();
    if (result.ok) say(texts.recipients_saved || "✔");
  });

  table.addEventListener("click", async (event) => {
    const clear = event.target.closest("[data-clear-row]");
    if (clear) {
      const row = clear.closest("tr");
      const address = $('[name="address"]', row).value.trim();
      if (!address) return;
      const question = fill(texts.confirm_clear, { row: Number(row.dataset.row) + 1, address });
      if (!(await confirmAction(question, texts.clear_row))) return;
      $('[name="address"]', row).value = "";
      $('[name="description"]', row).value = "";
      $('[name="mail_type"]', row).value = "none";
      $$('input[name="events"]', detail(row)).forEach((box) => { box.checked = false; });
      rowState(row);
      if (row.dataset.slot === "") { say(texts.row_cleared); return; }
      const result = await save();
      if (result.ok) say(texts.recipients_saved || "✔");
      return;
    }
    const button = event.target.closest("[data-test-mail]");
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
    const result = await api("POST", `/api/v1/mail/recipients/${row.dataset.slot}/test`);
    button.disabled = false;
    const data = result.data || {};
    let text;
    let good = false;
    if (result.ok) { text = data.outcome; good = !!data.delivered; }
    else if (data.reason === "mail_off") text = texts.mail_off;
    else if (data.reason === "not_saved") text = texts.not_saved;
    else text = fill(texts.test_failed, { error: data.error || ("HTTP " + result.status) });
    out.textContent = text;
    out.classList.add(good ? "ok" : "error");
  });
}
