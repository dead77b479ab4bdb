// Dashboard (§13): a big status tile, then one widget per measurement, readable from afar.
import { $, el, onLive, pageData } from "../core.js";

const WIDGETS = [
  ["load_rate", ["load_rate_l1", "load_rate_l2", "load_rate_l3"], 120, "%"],
  ["output_current", ["output_current_l1", "output_current_l2", "output_current_l3"], null, "A"],
  ["output_voltage", ["output_voltage_l1", "output_voltage_l2", "output_voltage_l3"], 300, "V"],
  ["input_voltage", ["input_voltage_l1", "input_voltage_l2", "input_voltage_l3"], 300, "V"],
  ["bypass_voltage", ["bypass_voltage_l1", "bypass_voltage_l2", "bypass_voltage_l3"], 300, "V"],
  ["source1_voltage", ["source1_voltage_l1", "source1_voltage_l2", "source1_voltage_l3"], 300, "V"],
  ["source2_voltage", ["source2_voltage_l1", "source2_voltage_l2", "source2_voltage_l3"], 300, "V"],
  ["battery_capacity", ["battery_capacity"], 100, "%"],
  ["battery_voltage", ["battery_voltage"], null, "V"],
  ["output_frequency", ["output_frequency"], 70, "Hz"],
  ["input_frequency", ["input_frequency"], 70, "Hz"],
  ["temperature", ["ambient_temperature"], 60, ""],
];
const TONES = ["ok", "info", "warning", "critical"];

function renderTile(data) {
  const tile = $("#status-tile");
  const banner = data.banner;
  if (!tile || !banner) return;
  tile.classList.remove(...TONES.map((tone) => "tone-" + tone));
  tile.classList.add("tone-" + banner.tone);
  $("#tile-state").textContent = banner.title;
  $("#tile-detail").textContent = banner.detail;
  const minutes = $("#tile-minutes");
  minutes.hidden = banner.minutes_left === null || banner.minutes_left === undefined;
  $("#tile-minutes-value").textContent = minutes.hidden ? "" : String(banner.minutes_left);
  const stale = $("#tile-stale");
  stale.hidden = !data.stale;
  stale.textContent = data.stale ? data.last_read_text : "";
}

function widget(title) {
  const w = el("section", { class: "widget" });
  w.append(el("h3", {}, title));
  return w;
}

function renderDashboard(data) {
  renderTile(data);
  const m = data.measurements || {};
  const widgets = [];
  WIDGETS.forEach(([name, keys, max, unit]) => {
    const title = pageData.titles[name];
    if (name === "temperature") unit = pageData.temperature_unit;
    const present = keys.filter((k) => m[k] !== null && m[k] !== undefined);
    if (!present.length) return; // §13: measurements not available are not represented
    const w = widget(title);
    let scale = max;
    const nominal = keys[0].startsWith("output_current") ? pageData.nominal_current : null;
    if (!scale) scale = Math.max(...present.map((k) => m[k]), nominal || 0) * 1.25 || 1;
    present.forEach((k, index) => {
      const row = el("div", { class: "bar-row" });
      const bar = el("div", { class: "bar" });
      const fill = el("div", { class: "fill" });
      const ratio = Math.max(0, Math.min(1, m[k] / scale));
      fill.style.width = (ratio * 100).toFixed(1) + "%";
      // §12.1.1 row 9 load colours: above 90 % yellow, above 100 % red.
      if (name === "load_rate" && m[k] > 100) fill.classList.add("over"); else if (name === "load_rate" && m[k] > 90) fill.classList.add("warn");
      if (nominal && m[k] > nominal) fill.classList.add("over");
      bar.append(fill);
      if (nominal) {
        const line = el("div", { class: "nominal", title: pageData.nominal_label });
        line.style.left = (Math.min(1, nominal / scale) * 100).toFixed(1) + "%";
        bar.append(line);
      }
      row.append(el("span", { class: "phase" }, present.length > 1 ? "L" + (index + 1) : ""), bar,
        el("span", { class: "reading" }, m[k].toFixed(unit === "Hz" ? 1 : 0) + " " + unit));
      w.append(row);
    });
    widgets.push(w);
  });
  const box = $("#widgets");
  box.replaceChildren(...widgets);
  box.classList.toggle("stale", !!data.stale);
}
onLive(renderDashboard);
