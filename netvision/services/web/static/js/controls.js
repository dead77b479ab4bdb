// The outcome of a UPS control, in the page that sent it.
import { $ } from "./core.js";

export function showResult(result) {
  const out = $("#control-result");
  if (!out) return;
  out.textContent = (result.accepted ? "✔ " : "✘ ") + result.control + (result.reason ? " — " + result.reason : "");
  out.className = "result " + (result.accepted ? "accepted" : "refused");
}
