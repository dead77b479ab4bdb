// The password change form (login page and My account).
import { $, api, problemText } from "./core.js";

const passwordForm = $("#password-form");
if (passwordForm) {
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(passwordForm);
    const out = $("#password-error");
    if (form.get("new") !== form.get("confirm")) { out.textContent = out.dataset.mismatch; return; }
    const result = await api("POST", "/api/v1/password", { current: form.get("current"), new: form.get("new") });
    if (result.ok) { out.textContent = out.dataset.done; setTimeout(() => { location.href = "/login"; }, 800); return; }
    out.textContent = problemText(result);
  });
}
