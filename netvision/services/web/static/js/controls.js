// UPS controls: ask before sending, then report the outcome in words ("Load transferred to
// bypass", "Refused: the UPS does not permit this control now").
import { $, api, confirmAction, pageData, problemText } from "./core.js";

const outcomes = pageData.outcomes || { done: {}, refused: "{reason}", reasons: [] };

function refusal(reason) {
  const known = (outcomes.reasons || []).find(([fragment]) => reason && reason.includes(fragment));
  return known ? known[1] : reason;
}

export function outcomeText(result) {
  if (result.text) return result.text;
  if (result.accepted) return outcomes.done[result.control] || result.control;
  return outcomes.refused.replace("{reason}", refusal(result.reason || "") || "—");
}

export function showResult(result) {
  const out = $("#control-result");
  if (!out) return;
  out.textContent = outcomeText(result);
  out.className = "result " + (result.accepted ? "accepted" : "refused");
}

// The outcome of the control this page sent, once; the same result echoed by the live
// stream is not shown twice.
let pending = null;
export function onControlResult(result) {
  if (pending && result.control === pending) return;
  showResult(result);
}

// Confirm, send, report. Resolves to the result, or null when the person cancelled.
export async function sendControl(control, question, unit) {
  if (!(await confirmAction(question))) return null;
  const body = unit ? { control, unit } : { control };
  pending = control;
  try {
    const response = await api("POST", "/api/v1/controls", body);
    const result = response.data && response.data.control
      ? response.data
      : { control, accepted: false, reason: problemText(response) };
    showResult(result);
    return result;
  } finally {
    setTimeout(() => { pending = null; }, 2000);
  }
}
