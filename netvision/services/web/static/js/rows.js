// Rows of a list setting (web/rows.py, partials/tables.html rows_form): the NUT users, the
// SNMPv3 users, the trap receivers, the mail recipients, the Wake-on-LAN servers. A row is
// added at the end (its first field gets the focus) or deleted after a confirmation; the
// rows of a fixed table are cleared instead. A secret is never filled in: left empty, the
// saved one is kept. The table is saved whole, and a refused field is named under it.
import { $, $$, api, confirmAction, say } from "./core.js";
import { fill, refuseControls, refuseEmptyNumbers } from "./forms.js";
import { readRow, saveRows, tableRows } from "./tables.js";

// The line under a row (its choice of events), if it has one.
export const detailOf = (row) => $(`tr[data-detail-for="${CSS.escape(row.dataset.row)}"]`, row.closest("table"));
const rowOf = (node) => {
  const line = node.closest("tr");
  if (!line || !line.dataset.detailFor) return node.closest("tr[data-row]");
  return $(`tr[data-row="${CSS.escape(line.dataset.detailFor)}"]`, line.closest("table"));
};

// A row with a choice of events (trap receivers, mail recipients): the list counts only
// "By event", the severity only "By severity" (§18.8).
function eventState(row) {
  const detail = detailOf(row);
  const filter = $('[name="event_filter"]', row);
  if (!detail || !filter) return;
  const byEvents = filter.value === "events";
  const severity = $('[name="severity"]', row);
  $(".event-select", detail).classList.toggle("unused", !byEvents);
  if (severity) severity.disabled = byEvents || severity.hasAttribute("data-locked");
  $("[data-events-count]", detail).textContent = $$('input[name="events"]:checked', detail).length;
}

// The row as sent: its controls, and each list of boxes of its detail line as numbers.
function readAll(row) {
  const value = readRow(row);
  const detail = detailOf(row);
  if (detail) {
    $$("input[type=checkbox][name]", detail).forEach((box) => {
      value[box.name] = value[box.name] || [];
      if (box.checked) value[box.name].push(Number(box.value));
    });
  }
  return value;
}

function setUp(form) {
  let config = {};
  try { config = JSON.parse(form.dataset.rows); } catch (e) { return; }
  const table = $("table[data-table]", form);
  if (!table) return;
  const template = document.getElementById(`${table.id}-template`);
  const texts = config.texts || {};
  let next = config.next_row || 0;
  const nameOf = (row) => { const input = $(`[name="${config.name_field}"]`, row); return input ? input.value.trim() : ""; };
  const words = (text, row) => fill(text, { row: Number(row.dataset.row) + 1, name: nameOf(row) || "—", [config.name_field]: nameOf(row) || "—" });
  const showEmpty = () => { const empty = $("[data-rows-empty]", form); if (empty) empty.hidden = tableRows(table).length > 0; };
  const changed = (row) => { form.dataset.dirty = "1"; if (row) row.dataset.dirty = "1"; };

  // The page's own checks before a save (web/rows.py row_problems refuses the same): a name
  // already used by an earlier row is marked on the later one; a new row needs its secret (a
  // saved row left empty keeps its own); a number left empty is refused.
  function rowsRefused() {
    const found = [];
    const first = new Map();
    const used = (row) => !config.used_by || $(`[name="${config.used_by}"]`, row).value.trim();
    tableRows(table).filter(used).forEach((row) => {
      const unique = config.unique && $(`[name="${config.unique}"]`, row);
      const value = unique ? unique.value.trim() : "";
      if (value && first.has(value)) found.push({ input: unique, reason: fill(texts.name_taken, { name: value, row: first.get(value) }) });
      else if (value) first.set(value, $(".row-index", row).textContent.trim());
      const secret = config.new_needs && $(`[name="${config.new_needs}"]`, row);
      if (secret && row.dataset.slot === "" && !secret.value) found.push({ input: secret, reason: texts.password_needed });
    });
    if (found.length) return !refuseControls(found, form);
    return !refuseEmptyNumbers(form);
  }

  async function save() {
    if (rowsRefused()) return { ok: false, refused: true };
    const result = await saveRows(form, config.path, tableRows(table).map(readAll), texts.set);
    if (result.ok) {
      // The rows kept are stored first, in page order: each is now saved at its place.
      let slot = 0;
      tableRows(table).forEach((row) => {
        row.dataset.dirty = "";
        row.dataset.slot = !config.used_by || $(`[name="${config.used_by}"]`, row).value.trim() ? String(slot++) : "";
      });
      form.dataset.dirty = "";
    }
    return result;
  }

  tableRows(table).forEach((row) => {
    const severity = $('[name="severity"]', row);
    if (severity && severity.disabled) severity.setAttribute("data-locked", "");
    eventState(row);
  });
  table.addEventListener("change", (event) => { const row = rowOf(event.target); changed(row); if (row) eventState(row); });
  table.addEventListener("input", (event) => changed(rowOf(event.target)));

  const add = $("[data-add-row]", form);
  if (add && template) {
    add.addEventListener("click", () => {
      if (tableRows(table).length >= (config.max_rows || 32)) { say(texts.full, true); return; }
      const index = String(next++);
      const fragment = template.content.cloneNode(true);
      fragment.querySelectorAll("*").forEach((node) => {
        Array.from(node.attributes).forEach((attribute) => {
          if (attribute.value.includes("__ROW__")) node.setAttribute(attribute.name, attribute.value.split("__ROW__").join(index));
        });
      });
      const row = fragment.querySelector("tr");
      $(".row-index", row).textContent = Number(index) + 1;
      $("tbody", table).appendChild(fragment);
      changed(row);
      showEmpty();
      ($(`[name="${config.name_field}"]`, row) || $("input, select", row)).focus();
    });
  }

  // Back to the blank row's values: the row is not used any more once saved.
  function clearRow(row) {
    const blank = template && template.content.querySelector("tr");
    $$("[name]", row).forEach((input) => {
      const model = blank && $(`[name="${input.name}"]`, blank);
      if (input.tagName === "SELECT") {
        const chosen = model && Array.from(model.options).find((option) => option.defaultSelected);
        input.value = chosen ? chosen.value : input.options[0].value;
      } else {
        input.value = model ? model.defaultValue : "";
      }
      if (input.dataset.secret !== undefined && model) {
        input.placeholder = model.placeholder;
        const note = input.parentElement.querySelector("[data-secret-state]");
        const blankNote = model.parentElement.querySelector("[data-secret-state]");
        if (note && blankNote) { note.textContent = blankNote.textContent; note.dataset.secretState = blankNote.dataset.secretState; }
      }
    });
    const detail = detailOf(row);
    if (detail) $$("input[type=checkbox]", detail).forEach((box) => { box.checked = false; });
    changed(row);
    eventState(row);
  }

  table.addEventListener("click", async (event) => {
    const remove = event.target.closest("[data-remove-row]");
    const clear = event.target.closest("[data-clear-row]");
    if (!remove && !clear) return;
    const row = (remove || clear).closest("tr");
    if (clear) {
      if (!nameOf(row)) return; // nothing to clear
      if (!(await confirmAction(words(texts.confirm_clear, row), texts.clear))) return;
      clearRow(row);
      if (row.dataset.slot === "") { say(texts.cleared); return; }
      const result = await save();
      if (result.ok) say(texts.saved || "✔");
      return;
    }
    if (!(await confirmAction(words(texts.confirm_remove, row), texts.remove))) return;
    // The focus goes to the next row's Delete, else the previous one's, else Add.
    const rows = tableRows(table);
    const place = rows.indexOf(row);
    const neighbour = rows[place + 1] || rows[place - 1];
    const detail = detailOf(row);
    row.remove();
    if (detail) detail.remove();
    showEmpty();
    const focus = (neighbour && $("[data-remove-row]", neighbour)) || add;
    if (focus) focus.focus();
    if (row.dataset.slot === "") return; // never saved: nothing more to do
    const result = await save();
    if (result.ok) say(texts.removed);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await save();
    if (result.ok) say(texts.saved || "✔");
  });
}

$$("form[data-rows-form]").forEach(setUp);

// A test of one saved row ("Send test trap", "Send test"): refused in words while the row is
// not saved as shown. ``outcome(result)`` gives {text, good} for the server's answer.
export function onRowTest(form, selector, texts, outcome) {
  if (!form) return;
  form.addEventListener("click", async (event) => {
    const button = event.target.closest(selector);
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
    const path = JSON.parse(form.dataset.rows).path;
    const result = await api("POST", `${path}/${row.dataset.slot}/test`);
    button.disabled = false;
    const { text, good } = outcome(result, result.data || {});
    out.textContent = text;
    out.classList.add(good ? "ok" : "error");
  });
}
