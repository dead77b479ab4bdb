// Logs as tables and graphs (§21).
import { $, $$, api, el, pageData, problemText, say } from "../core.js";

const GROUPS = {
  voltage: ["input_voltage_l1", "input_voltage_l2", "input_voltage_l3", "output_voltage_l1", "output_voltage_l2", "output_voltage_l3", "source1_voltage_l1", "source2_voltage_l1"],
  load: ["load_rate", "load_rate_l1", "load_rate_l2", "load_rate_l3", "output_current_l1"],
  battery: ["battery_capacity"],
  frequency: ["input_frequency", "output_frequency"],
  temperature: ["ambient_temperature", "switch1_temperature", "switch2_temperature"],
};
const log = pageData.log;
const state = { page: 1, pages: 1, sort: "time", order: "desc" };
const rangeForm = $("#log-range");
const fmt = (v) => (v === null || v === undefined ? "-1" : String(v));
async function load() {
  const form = new FormData(rangeForm);
  const query = new URLSearchParams({ page: state.page, per_page: form.get("per_page") || 10, sort: state.sort, order: state.order });
  if (form.get("start")) query.set("start", form.get("start"));
  if (form.get("end")) query.set("end", form.get("end"));
  const result = await api("GET", `/api/v1/logs/${log}?` + query);
  if (!result.ok) { say(problemText(result), true); return; }
  const data = result.data;
  state.pages = data.pages;
  $("#page-info").textContent = `${data.page} / ${data.pages} (${data.total})`;
  const body = $("#log-table tbody");
  if (log === "ups" || log === "netvision") {
    body.replaceChildren(...data.rows.map((r) => {
      const row = el("tr", { class: "level-" + r.level });
      row.append(el("td", {}, r.time), el("td", {}, r.level_label), el("td", {}, r.text));
      return row;
    }));
    return;
  }
  const present = data.columns.filter((c) => data.rows.some((r) => {
    const values = r.values || r.average;
    return values && values[c.key] !== null && values[c.key] !== undefined;
  }));
  const head = el("tr");
  head.append(el("th", {}, "Time"));
  present.forEach((c) => head.append(el("th", {}, c.label)));
  $("#log-table thead").replaceChildren(head);
  body.replaceChildren(...data.rows.map((r) => {
    const row = el("tr");
    row.append(el("td", {}, r.time));
    present.forEach((c) => {
      const text = r.values ? fmt(r.values[c.key]) : `${fmt(r.minimum[c.key])} / ${fmt(r.average[c.key])} / ${fmt(r.maximum[c.key])}`;
      row.append(el("td", {}, text));
    });
    return row;
  }));
}
rangeForm.addEventListener("submit", (event) => { event.preventDefault(); state.page = 1; load(); });
$$("[data-page]").forEach((button) => button.addEventListener("click", () => {
  const to = { first: 1, previous: state.page - 1, next: state.page + 1, last: state.pages }[button.dataset.page];
  state.page = Math.max(1, Math.min(state.pages, to)); load();
}));
$$("button.sort").forEach((button) => button.addEventListener("click", () => {
  state.order = state.sort === button.dataset.sort && state.order === "desc" ? "asc" : "desc";
  state.sort = button.dataset.sort; state.page = 1; load();
}));
load();
if (pageData.graph) {
  let range = "1h";
  async function graphLoad() {
    const result = await api("GET", `/api/v1/logs/${log}/series?range=${range}`);
    if (!result.ok) return;
    const points = result.data.points;
    const keys = GROUPS[$("#graph-group").value];
    const charts = [];
    keys.forEach((key) => {
      const lines = log === "history" ? [["values", ""]] : [["minimum", "min"], ["average", "avg"], ["maximum", "max"]];
      const series = lines.map(([field]) => points.map((p) => p[field][key]).filter((v) => v !== null && v !== undefined));
      if (!series[0].length) return;
      const all = series.flat();
      const lo = Math.min(...all), hi = Math.max(...all), span = hi - lo || 1;
      const chart = el("div", { class: "chart" });
      const title = el("div", { class: "title" });
      title.append(el("span", {}, key), el("span", {}, `${lo.toFixed(1)} … ${hi.toFixed(1)}`));
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", "0 0 600 90");
      svg.setAttribute("preserveAspectRatio", "none");
      series.forEach((values, index) => {
        const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
        const n = Math.max(1, values.length - 1);
        line.setAttribute("points", values.map((v, i) => `${(i / n) * 600},${85 - ((v - lo) / span) * 80}`).join(" "));
        line.setAttribute("class", "s" + index);
        svg.append(line);
      });
      chart.append(title, svg);
      charts.push(chart);
    });
    $("#log-graph").replaceChildren(...charts);
  }
  $$("[data-range]").forEach((button) => button.addEventListener("click", () => { range = button.dataset.range; graphLoad(); }));
  $("#graph-group").addEventListener("change", graphLoad);
  graphLoad();
}
