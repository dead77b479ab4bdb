// Shutdown management (§16.8): the procedure's state, read again every two seconds; the
// AC-fail test after a confirmation (admin); the event table saved whole; the rule of the
// UPS Shut Off Delay checked as it is typed.
import { $, $$, api, confirmAction, el, pageData, say } from "../core.js";
import { onAfterSave } from "../forms.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const texts = pageData.texts || {};
const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (_, key) => (values[key] !== undefined ? values[key] : ""));
const PERIOD_MS = 2000;
const testButton = $("#shutdown-test");
const note = $("#shutdown-test-note");
let testing = false;

function showStatus(status) {
  const box = $("#shutdown-status");
  if (!box || !status) return;
  box.dataset.phase = status.phase;
  box.replaceChildren(...(status.text || []).map((line) => el("p", {}, line)));
  if (testButton && pageData.is_admin && !testing) {
    testButton.disabled = !status.test_allowed;
    note.textContent = status.test_refusal || texts.test_help || "";
  }
}

async function refresh() {
  const result = await api("GET", "/api/v1/shutdown/status");
  if (result.ok) showStatus(result.data);
  setTimeout(refresh, PERIOD_MS);
}

// §16.8 WARNING: the UPS Shut Off Delay must be longer than the servers' own shutdown time.
function checkDelay() {
  const box = $("#shut-off-warning");
  const enabled = $("#f-shutdown-ups_shut_off");
  const delay = $("#f-shutdown-ups_shut_off_delay");
  const logout = $("#f-shutdown-shut_off_after_logout");
  if (!box || !enabled || !delay) return;
  const lines = [];
  if (enabled.value === "true") {
    const seconds = Number(delay.value);
    if (seconds < (pageData.min_delay || 60)) lines.push(texts.warn_delay_short);
    if (logout && seconds < Number(logout.value)) lines.push(texts.warn_delay_logout);
  }
  box.replaceChildren(...lines.map((line) => el("p", {}, line)));
  box.hidden = lines.length === 0;
}

$$("#f-shutdown-ups_shut_off, #f-shutdown-ups_shut_off_delay, #f-shutdown-shut_off_after_logout").forEach((input) => {
  input.addEventListener("input", checkDelay);
  input.addEventListener("change", checkDelay);
});
onAfterSave(checkDelay);

const eventsForm = $("#events-form");
const eventsTable = $("#shutdown-events");
if (eventsForm && eventsTable) {
  eventsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await saveRows(eventsForm, "/api/v1/shutdown/events", tableRows(eventsTable).map(readRow));
    if (result.ok) say(texts.events_saved || "✔");
  });
}

if (testButton) {
  testButton.addEventListener("click", async () => {
    const out = $("#shutdown-test-result");
    out.classList.remove("error", "ok");
    if (!(await confirmAction(texts.confirm_test, texts.test_button))) return;
    testing = true;
    testButton.disabled = true;
    out.textContent = texts.test_starting || "…";
    const result = await api("POST", "/api/v1/shutdown/test");
    testing = false;
    const data = result.data || {};
    if (result.ok) { out.textContent = texts.test_started; out.classList.add("ok"); }
    else {
      if (data.reason === "refused") out.textContent = fill(texts.test_refused, { reason: data.error });
      else if (data.reason === "shutdown_off") out.textContent = texts.test_not_running;
      else out.textContent = fill(texts.test_failed, { error: data.error || ("HTTP " + result.status) });
      out.classList.add("error");
    }
    const status = await api("GET", "/api/v1/shutdown/status");
    if (status.ok) showStatus(status.data);
  });
}

if ($("#shutdown-status")) setTimeout(refresh, PERIOD_MS);
