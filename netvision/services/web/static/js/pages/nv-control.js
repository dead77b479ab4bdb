// NET VISION control: the services and the restart and reset of NET VISION (§18.3, App. SSH).
import { $, $$, api, problemText } from "../core.js";

$$("[data-agent-action]").forEach((button) => button.addEventListener("click", () => {
  const box = $(`[data-agent-confirm="${button.dataset.agentAction}"]`);
  $$("[data-agent-confirm]").forEach((other) => { other.hidden = other !== box; });
}));
$$("[data-agent-cancel]").forEach((button) => button.addEventListener("click", () => {
  $(`[data-agent-confirm="${button.dataset.agentCancel}"]`).hidden = true;
}));
$$("[data-agent-go]").forEach((button) => button.addEventListener("click", async () => {
  const action = button.dataset.agentGo;
  $(`[data-agent-confirm="${action}"]`).hidden = true;
  const out = $("#agent-result");
  const result = await api("POST", "/api/v1/agent/" + action);
  if (result.ok) window.dispatchEvent(new Event("nv-restarting"));
  out.textContent = result.ok ? out.dataset.restarting : problemText(result);
  out.classList.toggle("error", !result.ok);
}));

