// Settings forms (§18): every field with data-key is sent as one PATCH of the settings.
import { $, $$, api, confirmAction, problemText, say } from "./core.js";

// A change after which the firewall would refuse this browser comes back 409: ask first (§18.15).
export async function patchSettings(changes, confirmText) {
  let result = await api("PATCH", "/api/v1/settings", { changes });
  if (result.status === 409 && result.data.lockout && await confirmAction(confirmText || result.data.error)) {
    result = await api("PATCH", "/api/v1/settings", { changes, confirm_lockout: true });
  }
  return result;
}

export function collect(form) {
  const changes = {};
  $$("[data-key]", form).forEach((input) => {
    if (input.disabled) return;
    if (input.dataset.secret !== undefined && !input.value) return; // left empty: the secret is kept
    let value = input.value;
    if (input.dataset.type === "int") value = Number(value);
    if (input.dataset.type === "bool") value = value === "true";
    changes[input.dataset.key] = value;
  });
  return changes;
}

// A refused change names its fields ({field, message}): each one is highlighted with its
// message under it, the first is scrolled into view and focused.
export function clearProblems(root) {
  $$(".field.invalid", root).forEach((node) => node.classList.remove("invalid"));
  $$("[aria-invalid]", root).forEach((node) => node.removeAttribute("aria-invalid"));
  $$("p.field-error", root).forEach((node) => { node.hidden = true; node.textContent = ""; });
}
export function showProblems(root, result) {
  clearProblems(root);
  const fields = (result.data && result.data.fields) || [];
  let first = null;
  fields.forEach((problem) => {
    const box = problem.field && $(`p.field-error[data-error-for="${CSS.escape(problem.field)}"]`, root);
    if (!box) return;
    box.textContent = problem.message;
    box.hidden = false;
    const field = box.closest(".field");
    if (field) field.classList.add("invalid");
    const control = field && $("input, select, textarea", field);
    if (control) control.setAttribute("aria-invalid", "true");
    if (!first) first = { field: field || box, control };
  });
  const text = fields.length ? fields.map((problem) => problem.message).join(" — ") : problemText(result);
  say(text, true);
  if (first) {
    first.field.scrollIntoView({ block: "center" });
    if (first.control) first.control.focus({ preventScroll: true });
  }
}

$$("form[data-settings-form]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = collect(form);
    if (!Object.keys(changes).length) { say("✔"); return; }
    const result = await patchSettings(changes);
    if (!result.ok) { showProblems(form, result); return; }
    clearProblems(form);
    say("✔");
    $$("[data-secret]", form).forEach((input) => { input.value = ""; });
  });
});
