// Battery test (§16.2): one row for the system, or one per unit (distributed batteries).
import { $, $$, onControl, onLive } from "../core.js";
import { onControlResult, sendControl } from "../controls.js";

function renderBatteryTest(data) {
  const table = $("#battery-test-table");
  if (!table || !data.battery_tests) return;
  let any = false;
  data.battery_tests.forEach((test) => {
    const row = $(`tr[data-unit="${test.unit}"]`, table);
    if (!row) return;
    const status = $('[data-field="status_label"]', row);
    status.textContent = test.status_label;
    status.dataset.status = test.status;
    $('[data-field="last_test_text"]', row).textContent = test.last_test_text;
    const result = $('[data-field="result_label"]', row);
    result.textContent = test.result_label;
    result.dataset.result = test.result;
    $("[data-battery-test]", row).disabled = !test.can_start;
    any = any || test.can_start;
  });
  $("#battery-test-none").hidden = any || data.battery_tests.some((test) => test.status === "in_progress");
}
$$("[data-battery-test]").forEach((button) => button.addEventListener("click", async () => {
  const unit = Number(button.dataset.batteryTest);
  await sendControl("battery_test", button.dataset.ask, unit || undefined);
}));

onLive(renderBatteryTest);
onControl(onControlResult);
