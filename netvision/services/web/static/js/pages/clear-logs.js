// Clear and save logs (§21).
import { $, $$, api, problemText, say } from "../core.js";

const counts = async () => {
  const result = await api("GET", "/api/v1/logs");
  if (result.ok) Object.entries(result.data).forEach(([log, n]) => { const cell = $(`[data-count="${log}"]`); if (cell) cell.textContent = n; });
};
$$("[data-clear]").forEach((button) => button.addEventListener("click", async () => {
  const result = await api("DELETE", "/api/v1/logs/" + button.dataset.clear);
  say(result.ok ? "✔ " + result.data.cleared : problemText(result), !result.ok);
  counts();
}));
counts();
