// Multi-user table (§18.4): saving and deleting a user report in words; a deletion asks first.
import { $, $$, api, confirmAction, pageData, problemText, say } from "../core.js";
import { fill } from "../forms.js";

const words = pageData.words || {};
const later = () => setTimeout(() => location.reload(), 1500);

$$("tr[data-user-row]").forEach((row) => {
  const save = $("[data-save-user]", row);
  save.addEventListener("click", async () => {
    const nameInput = $('[name="name"]', row);
    const name = nameInput.value.trim();
    if (!name) { nameInput.setAttribute("aria-invalid", "true"); nameInput.closest("td").classList.add("invalid"); say(words.name_needed, true); nameInput.focus(); return; }
    const body = { role: $('[name="role"]', row).value, language: $('[name="language"]', row).value, password: $('[name="password"]', row).value };
    const result = await api("PUT", "/api/v1/accounts/" + encodeURIComponent(name), body);
    say(result.ok ? fill(row.dataset.existing ? words.saved : words.added, { name }) : problemText(result), !result.ok);
    if (result.ok) later();
  });
  const remove = $("[data-delete-user]", row);
  if (remove) remove.addEventListener("click", async () => {
    const name = row.dataset.existing;
    if (!(await confirmAction(fill(words.confirm_delete, { name }), words.delete_ok))) return;
    const result = await api("DELETE", "/api/v1/accounts/" + encodeURIComponent(name));
    say(result.ok ? fill(words.deleted, { name }) : problemText(result), !result.ok);
    if (result.ok) later();
  });
});
