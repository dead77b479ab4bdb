// A service's health kept up to date while its page is open: at the live stream's pace
// (one snapshot per poll), at most every REFRESH_MS, GET /api/v1/services (the health the
// NET VISION Control page shows) and hand the service's report to the page.
import { $$, api, onLive } from "./core.js";

const REFRESH_MS = 2000;

export function followService(name, render) {
  let busy = false;
  let last = Date.now(); // the page was just rendered with the same numbers
  onLive(async () => {
    if (busy || document.hidden || Date.now() - last < REFRESH_MS) return;
    busy = true;
    last = Date.now();
    try {
      const result = await api("GET", "/api/v1/services");
      if (result.ok) render((result.data.services || []).find((health) => health.name === name) || null);
    } catch (e) {
      // The page is leaving or the network is gone: the next snapshot tries again.
    } finally {
      busy = false;
    }
  });
}

// The generic part of a counters panel: [data-counter=name] shows that counter,
// [data-when-running] / [data-when-stopped] while the service runs or not,
// [data-service-field=addresses|last_error] those fields, [data-when-error] only with an error.
// Returns whether the service is running.
export function showHealth(root, health) {
  const running = !!health && health.state === "running" && Object.keys(health.counters || {}).length > 0;
  $$("[data-when-running]", root).forEach((node) => { node.hidden = !running; });
  $$("[data-when-stopped]", root).forEach((node) => { node.hidden = running; });
  if (!running) return false;
  $$("[data-counter]", root).forEach((node) => {
    node.textContent = String(health.counters[node.dataset.counter] ?? 0);
  });
  const fields = { addresses: (health.addresses || []).join(", "), last_error: health.last_error || "" };
  $$("[data-service-field]", root).forEach((node) => {
    const field = node.dataset.serviceField;
    if (field in fields) node.textContent = fields[field];
  });
  $$("[data-when-error]", root).forEach((node) => { node.hidden = !fields.last_error; });
  return true;
}
