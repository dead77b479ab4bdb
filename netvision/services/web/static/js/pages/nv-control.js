// NET VISION control: the web server's listeners, the services, and the restart and reset
// of NET VISION (§18.3, App. SSH). Each changing action asks first and reports in words.
import { $, $$, api, confirmAction, pageData, problemText, say } from "../core.js";
import { fill, initialValue, onAfterSave, onBeforeSave } from "../forms.js";

// Switching off, or moving, the listener this page came through cuts this browser off.
onBeforeSave(async (changes, form) => {
  const scheme = location.protocol === "https:" ? "https" : "http";
  const enabledKey = `web.${scheme}_enabled`;
  const portKey = `web.${scheme}_port`;
  const enabledInput = $(`[data-key="${enabledKey}"]`, form);
  const portInput = $(`[data-key="${portKey}"]`, form);
  if (!enabledInput || initialValue(enabledInput) !== "true") return true;
  const words = pageData.listener || {};
  if (changes[enabledKey] === false) {
    return confirmAction(fill(words.off, { scheme: scheme.toUpperCase(), other: scheme === "https" ? "HTTP" : "HTTPS" }), words.off_ok);
  }
  if (portInput && changes[portKey] !== undefined && String(changes[portKey]) !== initialValue(portInput)) {
    return confirmAction(fill(words.port, { scheme: scheme.toUpperCase(), port: changes[portKey] }), words.port_ok);
  }
  return true;
});

// Once the listener in use moved or stopped, this page follows it to where it answers now.
onAfterSave((changes, form, before) => {
  const scheme = location.protocol === "https:" ? "https" : "http";
  const other = scheme === "https" ? "http" : "https";
  const target = new URL(location.href);
  if (before[`web.${scheme}_enabled`] === "true" && changes[`web.${scheme}_enabled`] === false && changes[`web.${other}_enabled`]) {
    target.protocol = other + ":";
    target.port = String(changes[`web.${other}_port`]);
  } else if (changes[`web.${scheme}_port`] !== undefined && String(changes[`web.${scheme}_port`]) !== before[`web.${scheme}_port`]) {
    target.port = String(changes[`web.${scheme}_port`]);
  } else {
    return;
  }
  setTimeout(() => { location.href = target.href; }, 1500);
});

$$("[data-agent-action]").forEach((button) => button.addEventListener("click", async () => {
  if (!(await confirmAction(button.dataset.confirm, button.dataset.ok))) return;
  const out = $("#agent-result");
  const result = await api("POST", "/api/v1/agent/" + button.dataset.agentAction);
  if (result.ok) window.dispatchEvent(new Event("nv-restarting"));
  out.textContent = result.ok ? button.dataset.done : problemText(result);
  out.classList.toggle("error", !result.ok);
  say(out.textContent, !result.ok);
}));
