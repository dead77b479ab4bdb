// External links setup (§20).
import { $, $$, api, problemText, say } from "../core.js";

const linksForm = $("#links-form");
if (linksForm) {
  linksForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const links = $$("tr[data-link]", linksForm).map((row) => ({
      text: $('[name="text"]', row).value, address: $('[name="address"]', row).value, enabled: $('[name="enabled"]', row).value === "true",
    })).filter((link) => link.text || link.address);
    const result = await api("PATCH", "/api/v1/settings", { changes: { "web.external_links": links } });
    say(result.ok ? "✔" : problemText(result), !result.ok);
  });
}
