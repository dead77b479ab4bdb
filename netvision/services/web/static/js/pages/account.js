// My account: language and password.
import { $, api, pageData, problemText, say } from "../core.js";
import "../password.js";

const languageForm = $("#language-form");
if (languageForm) languageForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await api("PATCH", "/api/v1/account", { language: $('[name="language"]', languageForm).value });
  if (!result.ok) { say(problemText(result), true); return; }
  say((pageData.words || {}).saved || "");
  setTimeout(() => location.reload(), 800);
});
