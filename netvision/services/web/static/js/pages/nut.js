// NUT server (RFC 9271): the NUT users, added on the page and removed after a confirmation;
// a password is write-only (empty: the saved one is kept).
import { $, confirmAction, pageData, say } from "../core.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#nut-users-form");
const table = $("#nut-users");
const texts = pageData.texts || {};
const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (_, key) => (values[key] !== undefined ? values[key] : ""));
let next = pageData.next_row || 0;

const showEmpty = () => { $("#nut-users-empty").hidden = tableRows(table).length > 0; };
async function save() {
  const result = await saveRows(form, "/api/v1/nut/users", tableRows(table).map(readRow), texts["set"]);
  if (result.ok) {
    let slot = 0;
    tableRows(table).forEach((row) => { row.dataset.slot = $('[name="name"]', row).value.trim() ? String(slot++) : ""; });
  }
  return result;
}

if (form && table) {
  $("#nut-users-add").addEventListener("click", () => {
    if (tableRows(table).length >= (pageData.max_rows || 32)) { say(texts.users_full, true); return; }
    const index = String(next++);
    const fragment = $("#nut-users-template").content.cloneNode(true);
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
    if (!(await confirmAction(fill(texts.confirm_remove, { name }), texts.remove))) return;
    row.remove();
    showEmpty();
    if (row.dataset.slot === "") return;
    const result = await save();
    if (result.ok) say(texts.removed);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await save();
    if (result.ok) say(texts.users_saved || "✔");
  });
}
