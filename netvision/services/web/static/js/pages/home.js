// Comprehensive view: the tree and the synoptic (§11.3, §12).
import { $, $$, el, live, onLive, pageData } from "../core.js";

let device = location.hash.slice(1) || "system";
function renderBattery(battery, view) {
  battery.classList.remove("anim-open", "anim-charged", "anim-discharging", "anim-discharged", "anim-charging");
  battery.classList.add("anim-" + view.battery_animation);
  $("#battery-text").textContent = view.battery_text;
  const level = $("#battery-level");
  const capacity = Math.max(0, Math.min(100, view.battery_capacity == null ? 100 : view.battery_capacity));
  level.setAttribute("height", String(32 * capacity / 100));
  level.setAttribute("y", String(226 + 32 * (1 - capacity / 100)));
}
let table = null;
function renderHome(data) {
  if (!data.views[device]) device = "system";
  const view = data.views[device];
  Object.entries(data.views).forEach(([id, v]) => {
    const dot = $(`[data-tree="${id}"]`);
    if (dot && v) dot.className = "dot t-" + (data.stale ? "unknown" : v.tree); // not known while the UPS is silent
  });
  const bdot = $('[data-battery-tree="system"]');
  if (bdot && data.views.system) bdot.className = "dot b-" + (data.stale ? "unknown" : data.views.system.battery_tree);
  $$(".tree .node[data-device]").forEach((node) => node.classList.toggle("selected", node.dataset.device === device));
  const stale = $("#home-stale");
  stale.hidden = !data.stale;
  stale.textContent = data.stale ? data.last_read_text : "";
  if (!view) { $("#ups-status").textContent = data.communication; return; }
  // Communication lost: the status the UPS last gave is not its state now; the drawing stays,
  // greyed, with the time of the last read.
  $("#ups-status").textContent = data.stale ? data.communication : view.ups_status;
  $("#battery-status").textContent = pageData.sts || data.stale ? "" : view.battery_status;
  $("#synoptic").classList.toggle("stale", !!data.stale);
  pageData.elements.forEach((name) => {
    const node = document.getElementById("el-" + name);
    if (!node) return;
    const colour = view.colours[name];
    node.classList.remove("c-grey", "c-green", "c-yellow", "c-red", "c-hidden", "absent");
    if (colour === undefined) node.classList.add("absent");
    else node.classList.add("c-" + colour);
  });
  const bar = $("#load-bar");
  bar.setAttribute("width", String(86 * Math.min(view.load || 0, 120) / 120));
  $("#load-text").textContent = view.load_text;
  const battery = $("#el-battery");
  if (battery) renderBattery(battery, view);
  const names = Object.keys(view.tables);
  const shown = table && names.includes(table) ? table : "ups";
  let title = pageData.titles[shown];
  if (shown === "ups" && device !== "system") title = device.replace("unit", "Unit ").replace("-module", " / Module ").replace(/^module/, "Module ");
  $("#table-title").textContent = title;
  $("#table-back").hidden = shown === "ups";
  $$(".synoptic .box").forEach((box) => box.classList.toggle("active", box.dataset.table === shown));
  const body = $("#params tbody");
  body.replaceChildren(...view.tables[shown].map(([label, value]) => {
    const row = el("tr");
    row.append(el("th", {}, label), el("td", {}, value));
    return row;
  }));
}

$$(".tree .node[data-device]").forEach((node) => node.addEventListener("click", () => {
  device = node.dataset.device; table = null; history.replaceState(null, "", "#" + device); renderHome(live.data);
}));
$$(".synoptic .box[data-table]").forEach((box) => {
  const open = () => { table = box.dataset.table; renderHome(live.data); };
  box.addEventListener("click", open);
  box.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") open(); });
});
$("#table-back").addEventListener("click", () => { table = null; renderHome(live.data); });
onLive(renderHome);
