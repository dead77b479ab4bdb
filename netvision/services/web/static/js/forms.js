// Settings forms (§18): every field with data-key is sent as one PATCH of the settings.
import { $$, api, confirmAction, problemText, say } from "./core.js";

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

$$("form[data-settings-form]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const changes = collect(form);
    if (!Object.keys(changes).length) { say("✔"); return; }
    const result = await patchSettings(changes);
    say(result.ok ? "✔" : problemText(result), !result.ok);
    if (result.ok) $$("[data-secret]", form).forEach((input) => { input.value = ""; });
  });
});
