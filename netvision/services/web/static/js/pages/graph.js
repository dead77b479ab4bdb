// Real-time graph (§14): the measurements scanned from the live state while scanning is
// on; the last 30 minutes are kept in the page only ("data scanned is not stored").
import { $, $$, live, onLive, pageData } from "../core.js";
import { drawCharts, redrawOnResize } from "../chart.js";

const WINDOW = 30 * 60_000;
const box = $("#charts");
const info = Object.fromEntries((pageData.series || []).map((s) => [s.key, s]));
const samples = {}; // key -> [[ms, value]]
let scanning = false;
let lastTime = null;

function record(data) {
  if (!scanning || !data || data.stale) return false; // no new point from values not read any more
  const ms = Date.parse(data.time) || Date.now();
  if (ms === lastTime) return false;
  lastTime = ms;
  const m = data.measurements || {};
  Object.keys(info).forEach((key) => {
    const value = m[key];
    if (value === null || value === undefined || !Number.isFinite(Number(value))) return;
    const list = samples[key] || (samples[key] = []);
    list.push([ms, Number(value)]);
    while (list.length && list[0][0] < ms - WINDOW) list.shift();
  });
  return true;
}

function draw() {
  const selected = $$('input[name="series"]:checked').map((box) => box.value);
  const series = selected.filter((key) => samples[key] && samples[key].length).map((key) => ({
    key, label: info[key].label, unit: info[key].unit, points: samples[key],
  }));
  $("#graph-waiting").hidden = series.length > 0;
  if (!series.length) { box.replaceChildren(); return; }
  const end = lastTime || Date.now();
  const first = Math.min(...series.map((s) => s.points[0][0]));
  drawCharts(box, series, {
    start: Math.min(first, end - 60_000), end, clock: pageData.clock, texts: pageData.texts,
    language: document.body.dataset.language,
  });
}

$("#graph-start").addEventListener("click", () => {
  scanning = true;
  $("#graph-start").disabled = true;
  $("#graph-stop").disabled = false;
  record(live.data);
  draw();
});
$("#graph-stop").addEventListener("click", () => {
  scanning = false;
  $("#graph-start").disabled = false;
  $("#graph-stop").disabled = true;
});
$$('input[name="series"]').forEach((input) => input.addEventListener("change", draw));
onLive((data) => { if (record(data)) draw(); });
redrawOnResize(box, draw);
