// Real-time graph (§14).
import { $, $$, el, live, onLive } from "../core.js";

let scanning = false;
const samples = {};
const MAX_POINTS = 120;
function renderGraph(data) {
  if (!scanning || data.stale) return; // no new point from values that are not read any more
  const m = data.measurements || {};
  const selected = $$('input[name="series"]:checked');
  const charts = selected.map((box) => {
    const key = box.value;
    const list = samples[key] || (samples[key] = []);
    if (m[key] !== null && m[key] !== undefined) list.push(m[key]);
    if (list.length > MAX_POINTS) list.shift();
    const lo = Math.min(...list), hi = Math.max(...list), span = hi - lo || 1;
    const points = list.map((v, i) => `${(i / (MAX_POINTS - 1)) * 600},${85 - ((v - lo) / span) * 80}`).join(" ");
    const chart = el("div", { class: "chart" });
    const title = el("div", { class: "title" });
    title.append(el("span", {}, box.dataset.label), el("span", {}, list.length ? list[list.length - 1].toFixed(1) + "  (" + lo.toFixed(1) + " … " + hi.toFixed(1) + ")" : ""));
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 600 90");
    svg.setAttribute("preserveAspectRatio", "none");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points);
    svg.append(line);
    chart.append(title, svg);
    return chart;
  });
  $("#charts").replaceChildren(...charts);
}
$("#graph-start").addEventListener("click", () => { scanning = true; $("#graph-start").disabled = true; $("#graph-stop").disabled = false; renderGraph(live.data); });
$("#graph-stop").addEventListener("click", () => { scanning = false; $("#graph-start").disabled = false; $("#graph-stop").disabled = true; });
onLive(renderGraph);
