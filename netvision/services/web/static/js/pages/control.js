// UPS control (§16.1).
import { $, $$, api, onControl, onLive, problemText } from "../core.js";
import { showResult } from "../controls.js";

function renderControl(data) {
  let any = false;
  $$("tr[data-control]").forEach((row) => {
    const allowed = data.remote_controls_permitted && data.permissions[row.dataset.control];
    row.hidden = !allowed;
    any = any || allowed;
  });
  const none = $("#controls-none");
  if (none) none.hidden = any;
}
if ($("#control-form")) {
  $("#control-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = $('input[name="control"]:checked');
    if (!chosen) return;
    const result = await api("POST", "/api/v1/controls", { control: chosen.value });
    showResult(result.data.control ? result.data : { control: chosen.value, accepted: false, reason: problemText(result) });
  });
}
onLive(renderControl);
onControl(showResult);
