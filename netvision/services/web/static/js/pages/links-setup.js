// External links setup (§20).
import { $, $$, api, say } from "../core.js";
import { clearProblems, messagesOf, showProblems } from "../forms.js";

const linksForm = $("#links-form");
if (linksForm) {
  linksForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    // Empty rows are left out; the problem keys follow the rows sent.
    const rows = $$("tr[data-link]", linksForm).filter((row) => $('[name="text"]', row).value || $('[name="address"]', row).value);
    rows.forEach((row, index) => $$("[data-problem-key]", row).forEach((input) => {
      input.dataset.problemKey = `web.external_links[${index}].${input.name}`;
    }));
    $$("tr[data-link]", linksForm).filter((row) => !rows.includes(row)).forEach((row) => $$("[data-problem-key]", row).forEach((input) => {
      input.dataset.problemKey = "";
    }));
    const links = rows.map((row) => ({
      text: $('[name="text"]', row).value, address: $('[name="address"]', row).value, enabled: $('[name="enabled"]', row).value === "true",
    }));
    const result = await api("PATCH", "/api/v1/settings", { changes: { "web.external_links": links } });
    if (!result.ok) { showProblems(result, linksForm, []); return; }
    clearProblems(linksForm);
    say(messagesOf(linksForm).saved);
  });
}
