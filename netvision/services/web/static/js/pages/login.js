// Login and the forced password change (§11.5). Without this script the form posts to
// /login and the server answers with the same page and the reason in words.
import { $, api, problemText } from "../core.js";
import "../password.js";

const loginForm = $("#login-form");
if (loginForm) {
  const out = $("#login-error");
  const button = $("button[type=submit]", loginForm);
  const show = (text) => {
    out.textContent = text;
    loginForm.querySelectorAll("input").forEach((input) => {
      if (text) input.setAttribute("aria-describedby", "login-error");
      else input.removeAttribute("aria-describedby");
    });
  };
  loginForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(loginForm);
    const user = String(form.get("user") || "");
    const password = String(form.get("password") || "");
    if (!user || !password) { show(out.dataset.required); return; }
    show("");
    button.disabled = true;
    let result;
    try {
      result = await api("POST", "/api/v1/login", { user, password });
    } catch (error) {
      result = null;
    }
    button.disabled = false;
    if (result === null) { show(out.dataset.unreachable); return; }
    if (result.ok) { location.href = result.data.must_change ? "/login" : "/"; return; }
    const reason = (result.data && result.data.reason) || "invalid";
    show(out.dataset[reason] || problemText(result));
    const field = $("input[name=password]", loginForm);
    field.value = "";
    field.focus();
  });
}
