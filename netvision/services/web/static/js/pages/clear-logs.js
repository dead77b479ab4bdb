// Clear and save logs (§21.5): each clear is confirmed and its outcome said in words.
import { $, $$, api, confirmAction, pageData, say } from "../core.js";

const texts = pageData.texts || {};
const fill = (key, values) => Object.entries(values).reduce((s, [k, v]) => s.replace(`{${k}}`, v), texts[key] || key);
const counts = {};

async function refresh() {
  const result = await api("GET", "/api/v1/logs");
  if (!result.ok) return;
  Object.entries(result.data).forEach(([log, n]) => {
    counts[log] = n;
    const cell = $(`[data-count="${log}"]`);
    if (cell) cell.textContent = n;
  });
}

$$("[data-clear]").forEach((button) => button.addEventListener("click", async () => {
  const log = button.dataset.clear;
  const title = pageData.titles[log];
  const question = fill("logs.clear_confirm", { log: title, count: counts[log] === undefined ? "?" : counts[log] });
  if (!(await confirmAction(question, texts["logs.clear"]))) return;
  button.disabled = true;
  const result = await api("DELETE", "/api/v1/logs/" + log);
  button.disabled = false;
  if (result.ok) say(result.data.message);
  else say(fill("logs.clear_failed", { log: title, error: (result.data && result.data.error) || "HTTP " + result.status }), true);
  refresh();
}));
refresh();
