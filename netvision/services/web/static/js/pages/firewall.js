// Firewall rules (§18.15).
import { $, $$, pageData, say } from "../core.js";
import { clearProblems, messagesOf, patchSettings, refuseEmptyNumbers, showProblems } from "../forms.js";

const firewallForm = $("#firewall-form");
if (firewallForm) {
  const body = $("#firewall-rules tbody");
  const renumber = () => $$("tr[data-rule]", body).forEach((row, index) => {
    $(".rule-index", row).textContent = index + 1;
    $$("input, select", row).forEach((input) => { input.dataset.problemKey = `access_control.rules[${index}].${input.name}`; });
  });
  renumber();
  body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-rule]");
    if (button) { button.closest("tr").remove(); renumber(); }
  });
  const add = $("#firewall-add");
  if (add) add.addEventListener("click", () => {
    if ($$("tr[data-rule]", body).length >= (pageData.max_rules || 32)) return;
    body.appendChild($("#firewall-row").content.cloneNode(true));
    renumber();
    $$("tr[data-rule]", body).pop().querySelector("input").focus();
  });
  firewallForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!refuseEmptyNumbers(firewallForm, $$('[name="prefix_length"]', body))) return;
    const rules = $$("tr[data-rule]", body).map((row) => ({
      address: $('[name="address"]', row).value.trim(),
      prefix_length: $('[name="prefix_length"]', row).value.trim() === "" ? null : Number($('[name="prefix_length"]', row).value),
      action: $('[name="action"]', row).value,
    }));
    const result = await patchSettings({ "access_control.rules": rules }, firewallForm.dataset.confirm);
    if (!result.ok) { showProblems(result, firewallForm, []); return; }
    clearProblems(firewallForm);
    say(messagesOf(firewallForm).saved);
  });
}
