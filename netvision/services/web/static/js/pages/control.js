// UPS control (§16.1): every control asks for confirmation and reports its outcome in words.
import { $, $$, onControl, onLive } from "../core.js";
import { onControlResult, sendControl } from "../controls.js";

function renderControl(data) {
  let any = false;
  $$("tr[data-control]").forEach((row) => {
    const allowed = !!(data.remote_controls_permitted && data.permissions[row.dataset.control]);
    row.hidden = !allowed;
    any = any || allowed;
  });
  const none = $("#controls-none");
  if (none) none.hidden = any;
}
const form = $("#control-form");
if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = $('input[name="control"]:checked');
    if (!chosen) return;
    await sendControl(chosen.value, chosen.dataset.ask);
  });
}
onLive(renderControl);
onControl(onControlResult);
