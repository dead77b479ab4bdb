// Weekly (§16.5) and special day (§16.6) shutdown schedules: 8 rows saved together; a
// special day's dates are typed dd/mm/yyyy, as the manual shows them, and a date already
// past is pointed out (such a row never shuts anything down).
import { $, $$, el, pageData, say } from "../core.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#schedule-form");
const table = $("#schedule-rows");
const texts = pageData.texts || {};

if (form && table) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await saveRows(form, pageData.path, tableRows(table).map(readRow));
    if (!result.ok) return;
    // Used rows are stored first, in page order: each is now saved at its place.
    let slot = 0;
    tableRows(table).forEach((row) => {
      const first = $('[name="shutdown_day"], [name="shutdown_date"]', row);
      const used = first.name === "shutdown_day" ? first.value !== "disabled" : first.value.trim() !== "";
      row.dataset.slot = used ? String(slot++) : "";
    });
    say(texts.schedule_saved || "✔");
  });
}

// dd/mm/yyyy (or yyyy-mm-dd) before today, on this browser's calendar.
function isPast(text) {
  const value = text.trim();
  let found = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  let day;
  if (found) day = new Date(Number(found[3]), Number(found[2]) - 1, Number(found[1]));
  else if ((found = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value))) day = new Date(Number(found[1]), Number(found[2]) - 1, Number(found[3]));
  else return false;
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  return day < today;
}
function markPast(input) {
  const field = input.closest(".field");
  let hint = $(".past-date", field);
  const past = isPast(input.value);
  if (past && !hint) {
    hint = el("p", { class: "hint past-date" }, texts.past_date || "");
    input.after(hint);
  } else if (!past && hint) hint.remove();
}
if (table) {
  // An empty date field shows the format it expects.
  $$('[name="shutdown_date"], [name="restart_date"]', table).forEach((input) => { input.placeholder = texts.date_format || ""; });
  $$('[name="shutdown_date"]', table).forEach((input) => {
    markPast(input);
    input.addEventListener("input", () => markPast(input));
  });
}
