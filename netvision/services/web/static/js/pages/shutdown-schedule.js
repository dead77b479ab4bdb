// Weekly (§16.5) and special day (§16.6) shutdown schedules: 8 rows saved together; a
// special day's dates are typed dd/mm/yyyy, as the manual shows them.
import { $, pageData, say } from "../core.js";
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
