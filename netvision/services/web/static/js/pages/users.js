// Multi-user table (§18.4).
import { $, $$, api, problemText, say } from "../core.js";


$$("tr[data-user-row]").forEach((row) => {
  const save = $("[data-save-user]", row);
  save.addEventListener("click", async () => {
    const name = $('[name="name"]', row).value.trim();
    if (!name) return;
    const body = { role: $('[name="role"]', row).value, language: $('[name="language"]', row).value, password: $('[name="password"]', row).value };
    const result = await api("PUT", "/api/v1/accounts/" + encodeURIComponent(name), body);
    say(result.ok ? "✔ " + name : problemText(result), !result.ok);
    if (result.ok) setTimeout(() => location.reload(), 400);
  });
  const remove = $("[data-delete-user]", row);
  if (remove) remove.addEventListener("click", async () => {
    const result = await api("DELETE", "/api/v1/accounts/" + encodeURIComponent(row.dataset.existing));
    say(result.ok ? "✔" : problemText(result), !result.ok);
    if (result.ok) setTimeout(() => location.reload(), 400);
  });
});
