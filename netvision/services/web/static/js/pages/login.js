// Login and the forced password change (§11.5).
import { $, api, problemText } from "../core.js";
import "../password.js";

const loginForm = $("#login-form");
if (loginForm) {
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(loginForm);
    const out = $("#login-error");
    out.textContent = "";
    const result = await api("POST", "/api/v1/login", { user: form.get("user"), password: form.get("password") });
    if (result.ok) { location.href = result.data.must_change ? "/login" : "/"; return; }
    const reason = (result.data && result.data.reason) || "invalid";
    out.textContent = out.dataset[reason] || problemText(result);
  });
}

