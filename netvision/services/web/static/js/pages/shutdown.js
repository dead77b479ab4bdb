// Shutdown management (§16.8): the procedure's state, read again every two seconds, its
// countdown ticking every second in between; the AC-fail test after a confirmation (admin);
// the event table saved whole; the rule of the UPS Shut Off Delay checked as it is typed; a
// number left empty is refused before it is sent (it would be read as 0).
import { $, $$, api, confirmAction, el, pageData, say } from "../core.js";
import { onAfterSave, refuseEmptyNumbers } from "../forms.js";
import { readRow, saveRows, tableRows } from "../tables.js";

const texts = pageData.texts || {};
const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (_, key) => (values[key] !== undefined ? values[key] : ""));
const PERIOD_MS = 2000;
// Four looks a second: the shown second changes within a quarter of a second of the real one
// (a look every second, drifting across a second's edge, would show the same number twice).
const TICK_MS = 250;
const testButton = $("#shutdown-test");
const note = $("#shutdown-test-note");
let testing = false;
let shown = null; // the last status read
let deadline = null; // when the shutdown command goes, on this browser's clock (ms)

// "45 s", "4 min 05 s": as the page's first rendering says it (shutdown.py duration()).
function duration(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return minutes ? `${minutes} min ${String(rest).padStart(2, "0")} s` : `${rest} s`;
}

// The countdown line of the warning period, one second at a time towards the deadline
// (kept from one read to the next unless it moved: a read's delay makes no jump).
function tick() {
  const box = $("#shutdown-status");
  if (!box || !shown || shown.phase !== "warning" || deadline === null || !box.firstElementChild) return;
  const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  const text = fill(shown.test ? texts.warning_test : texts.warning, { event: shown.event_text, time: duration(left) });
  if (box.firstElementChild.textContent !== text) box.firstElementChild.textContent = text;
}

function showStatus(status) {
  const box = $("#shutdown-status");
  if (!box || !status) return;
  // The test's "has started" is old news once the procedure is over.
  const result = $("#shutdown-test-result");
  if (result && shown && shown.phase !== "idle" && status.phase === "idle" && result.classList.contains("ok")) {
    result.textContent = "";
    result.classList.remove("ok");
  }
  shown = status;
  if (status.phase !== "warning" || status.seconds_left === null) deadline = null;
  else {
    const read = Date.now() + status.seconds_left * 1000;
    if (deadline === null || Math.abs(read - deadline) > 1500) deadline = read;
  }
  box.dataset.phase = status.phase;
  box.replaceChildren(...(status.text || []).map((line) => el("p", {}, line)));
  tick();
  if (testButton && pageData.is_admin && !testing) {
    testButton.disabled = !status.test_allowed;
    note.textContent = status.test_refusal || texts.test_help || "";
  }
}

async function refresh() {
  try {
    const result = await api("GET", "/api/v1/shutdown/status");
    if (result.ok) showStatus(result.data);
  } catch (e) {
    // The network is gone for a moment: the countdown goes on and the next read catches up.
  } finally {
    setTimeout(refresh, PERIOD_MS);
  }
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
    if (!refuseEmptyNumbers(eventsForm)) return;
    const result = await saveRows(eventsForm, "/api/v1/shutdown/events", tableRows(eventsTable).map(readRow));
    if (result.ok) say(texts.events_saved || "✔");
  });
}

// When the test's shutdown command goes: the AC failed row's warning period (§16.8 WARNING:
// 0 sends it at once).
function testWhen() {
  const period = $('#shutdown-events tr[data-event="ac_failed"] [name="warning_period"]');
  const minutes = period ? Number(period.value) : NaN;
  if (!period || period.value.trim() === "" || !Number.isFinite(minutes)) return "";
  return minutes > 0 ? fill(texts.when_in, { minutes }) : texts.when_now;
}

if (testButton) {
  testButton.addEventListener("click", async () => {
    const out = $("#shutdown-test-result");
    out.classList.remove("error", "ok");
    const when = testWhen();
    const question = when ? `${texts.confirm_test} ${fill(texts.confirm_when, { when })}` : texts.confirm_test;
    if (!(await confirmAction(question, texts.test_button))) return;
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

if ($("#shutdown-status")) {
  showStatus(pageData.status);
  setInterval(tick, TICK_MS);
  setTimeout(refresh, PERIOD_MS);
}
