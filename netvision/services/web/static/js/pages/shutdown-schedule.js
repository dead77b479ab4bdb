// Weekly (§16.5) and special day (§16.6) shutdown schedules: 8 rows saved together; a
// special day's dates are typed dd/mm/yyyy, as the manual shows them, and a date already
// past is pointed out (such a row never shuts anything down).
import { $, $$, el, pageData, say } from "../core.js";
import { fill, refuseControls } from "../forms.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const form = $("#schedule-form");
const table = $("#schedule-rows");
const texts = pageData.texts || {};

if (form && table) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // A weekly row restarting at its shutdown's day and time would shut nothing down (the
    // API refuses it too: shutdown.py same_time_rows).
    const same = tableRows(table).filter((row) => weekly(row) === "same");
    if (!refuseControls(same.map((row) => ({ input: $('[name="restart_time"]', row), reason: texts.restart_same })), form)) return;
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

// A weekly row, as schedule.py reads it: "same" (restart at its shutdown's day and time),
// "next_week" (restart earlier the same day: a week later), else "".
const minutes = (text) => { const found = /^(\d{1,2}):(\d{2})$/.exec(text.trim()); return found ? Number(found[1]) * 60 + Number(found[2]) : null; };
function weekly(row) {
  const day = $('[name="shutdown_day"]', row);
  const restart = $('[name="restart_day"]', row);
  if (!day || !restart || day.value === "disabled" || restart.value !== day.value) return "";
  const down = minutes($('[name="shutdown_time"]', row).value);
  const up = minutes($('[name="restart_time"]', row).value);
  if (down === null || up === null) return "";
  return up === down ? "same" : up < down ? "next_week" : "";
}
// The hint next to such a row: "Restart a week later, on Monday at 09:00."
function markNextWeek(row) {
  const field = $('[name="restart_time"]', row).closest(".field");
  let hint = $(".next-week", field);
  if (weekly(row) !== "next_week") { if (hint) hint.remove(); return; }
  const restart = $('[name="restart_day"]', row);
  // A day inside a French sentence is written in lower case ("le lundi"); English keeps "Monday".
  const day = restart.options[restart.selectedIndex].text;
  const shown = document.documentElement.lang === "fr" ? day.toLocaleLowerCase("fr") : day;
  const text = fill(texts.restart_next_week, { day: shown, time: $('[name="restart_time"]', row).value.trim() });
  if (!hint) { hint = el("p", { class: "hint next-week" }, text); $(".field-error", field).before(hint); } else hint.textContent = text;
}
if (table && $('[name="shutdown_day"]', table)) {
  tableRows(table).forEach((row) => {
    markNextWeek(row);
    row.addEventListener("input", () => markNextWeek(row));
    row.addEventListener("change", () => markNextWeek(row));
  });
}
