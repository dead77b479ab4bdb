// The password change form (login page and My account). Without this script the form
// posts to /login/password and the server answers with the login page.
import { $, api, problemText } from "./core.js";

const passwordForm = $("#password-form");
if (passwordForm) {
  const out = $("#password-error");
  const button = $("button[type=submit]", passwordForm);
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(passwordForm);
    if (form.get("new") !== form.get("confirm")) { out.textContent = out.dataset.mismatch; return; }
    button.disabled = true;
    let result;
    try {
      result = await api("POST", "/api/v1/password", { current: form.get("current"), new: form.get("new") });
    } catch (error) {
      result = null;
    }
    button.disabled = false;
    if (result === null) { out.textContent = out.dataset.unreachable || ""; return; }
    if (result.ok) { out.textContent = out.dataset.done; setTimeout(() => { location.href = "/login"; }, 800); return; }
    out.textContent = result.status === 403 && out.dataset.wrong ? out.dataset.wrong : problemText(result);
  });
}
