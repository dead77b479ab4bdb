// SNMPv3 USM users (§18.7): rows added on the page, removed after a confirmation; admin only.
import { $, confirmAction, pageData, say } from "../core.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#usm-form");
const table = $("#usm-users");
const texts = pageData.texts || {};
let next = pageData.next_row || 0;

const rows = () => tableRows(table).map(readRow);
const showEmpty = () => { $("#usm-empty").hidden = tableRows(table).length > 0; };
// Every row is saved, in page order: after a save, a row's saved place is its position.
async function save() {
  const result = await saveRows(form, "/api/v1/snmp/usm-users", rows(), texts.set);
  if (result.ok) tableRows(table).forEach((row, index) => { row.dataset.slot = String(index); });
  return result;
}

if (form && table) {
  $("#usm-add").addEventListener("click", () => {
    if (tableRows(table).length >= (pageData.max_rows || 16)) { say(texts.full, true); return; }
    const index = String(next++);
    const fragment = $("#usm-users-template").content.cloneNode(true);
    fragment.querySelectorAll("*").forEach((node) => {
      Array.from(node.attributes).forEach((attribute) => {
        if (attribute.value.includes("__ROW__")) node.setAttribute(attribute.name, attribute.value.split("__ROW__").join(index));
      });
    });
    const row = fragment.querySelector("tr");
    row.querySelector(".row-index").textContent = Number(index) + 1;
    $("tbody", table).appendChild(fragment);
    showEmpty();
    $('[name="name"]', row).focus();
  });

  table.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-remove-row]");
    if (!button) return;
    const row = button.closest("tr");
    const name = $('[name="name"]', row).value.trim() || "—";
    if (!(await confirmAction(texts.confirm_remove.replace("{name}", name), texts.remove))) return;
    row.remove();
    showEmpty();
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
