// Tables of settings rows (templates/partials/tables.html): each row is read into an object
// by its controls' names; a secret left empty is sent as null (the saved one is kept).
import { $$, api } from "./core.js";
import { showProblems, clearProblems } from "./forms.js";

export function readRow(row) {
  const value = { row: Number(row.dataset.row), slot: row.dataset.slot === "" ? null : Number(row.dataset.slot) };
  $$("[name]", row).forEach((input) => {
    if (input.type === "checkbox") return; // lists of checkboxes are the page's own
    let v = input.value;
    if (input.dataset.secret !== undefined) v = v === "" ? null : v;
    else if (input.dataset.type === "int") v = v.trim() === "" ? null : Number(v);
    else if (input.dataset.type === "bool") v = v === "true";
    else v = v.trim();
    value[input.name] = v;
  });
  return value;
}

export const tableRows = (table) => $$("tbody tr[data-row]", table);

// Saves the table with PUT; on a refusal the wrong cells are highlighted and named.
// A secret typed in is now set: its note says so (setText), and the field is emptied.
export async function saveRows(form, path, rows, setText) {
  const result = await api("PUT", path, { rows });
  if (result.ok) {
    clearProblems(form);
    $$("input[data-secret]", form).forEach((input) => {
      const note = input.parentElement.querySelector("[data-secret-state]");
      if (input.value && note && setText) { note.textContent = setText; note.dataset.secretState = "set"; input.placeholder = setText; }
      input.value = "";
    });
  } else {
    showProblems(result, form, []);
  }
  return result;
}
