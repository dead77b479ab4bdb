// My account: language and password.
import { $, api, problemText, say } from "../core.js";
import "../password.js";

const languageForm = $("#language-form");
if (languageForm) languageForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await api("PATCH", "/api/v1/account", { language: $('[name="language"]', languageForm).value });
  if (result.ok) location.reload(); else say(problemText(result), true);
});
