// The four logs (§21): a table page by page (range, count per page, sort), and for the
// history logs the graph of a period (§21.1, §21.2).
import { $, $$, api, el, pageData, say } from "../core.js";
import { drawCharts, redrawOnResize } from "../chart.js";

const log = pageData.log;
const texts = pageData.texts || {};
const text = (key, values) => Object.entries(values || {}).reduce((s, [k, v]) => s.replace(`{${k}}`, v), texts[key] || key);
const state = { page: 1, pages: 1, sort: "time", order: "desc" };
const rangeForm = $("#log-range");
const table = $("#log-table");
const isEvents = log === "ups" || log === "netvision";
const shown = (v) => (v === null || v === undefined ? "-1" : String(v)); // -1: not managed by the UPS (§11.2.4)

// A wrong field: named by its label, marked, focused.
function fieldError(input, message) {
  input.setAttribute("aria-invalid", "true");
  input.focus();
  say(message, true);
}
function clearErrors(form) {
  $$("[aria-invalid]", form).forEach((input) => input.removeAttribute("aria-invalid"));
  say("");
}

// The manual's dd/mm/yyyy, with hh:mm[:ss] if given → the wall-clock yyyy-mm-dd[Thh:mm:ss]
// the API reads in NET VISION's time zone; "" when empty, null when not such a date.
function wallTime(text) {
  const value = text.trim();
  if (!value) return "";
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(value);
  if (!m) return null;
  const two = (n) => String(n).padStart(2, "0");
  const [, d, mo, y, h, mi, sec] = m;
  if (+mo < 1 || +mo > 12 || +d < 1 || +d > 31 || (h && (+h > 23 || +mi > 59 || +(sec || 0) > 59))) return null;
  return `${y}-${two(mo)}-${two(d)}` + (h ? `T${two(h)}:${mi}:${sec || "00"}` : "");
}

function tableQuery() {
  const start = wallTime($("#log-start").value), end = wallTime($("#log-end").value);
  clearErrors(rangeForm);
  if (start === null) { fieldError($("#log-start"), texts["logs.error.start"]); return null; }
  if (end === null) { fieldError($("#log-end"), texts["logs.error.end"]); return null; }
  if (start && end && end < start) { fieldError($("#log-end"), texts["logs.error.order"]); return null; }
  const query = new URLSearchParams({ page: state.page, per_page: $("#log-per-page").value, sort: state.sort, order: state.order });
  if (start) query.set("start", start);
  if (end) query.set("end", end);
  return query;
}

function showProblem(result, inputs) {
  const fields = (result.data && result.data.fields) || [];
  const wrong = fields.find((f) => inputs[f.field]);
  if (wrong) { fieldError(inputs[wrong.field][0], inputs[wrong.field][1]); return; }
  say(text("logs.error.load", { error: (result.data && result.data.error) || "HTTP " + result.status }), true);
}

function eventRows(rows) {
  return rows.map((r) => {
    const row = el("tr", { class: "level-" + r.level });
    row.append(el("td", { class: "time" }, r.time), el("td", {}, r.level_label), el("td", {}, r.text));
    return row;
  });
}

function historyTable(data) {
  const present = data.columns.filter((c) => data.rows.some((r) => {
    const values = r.values || r.average;
    return values && values[c.key] !== null && values[c.key] !== undefined;
  }));
  const head = el("tr");
  if (log === "extended") {
    head.append(el("th", { scope: "col" }, texts["logs.start_time"]), el("th", { scope: "col" }, texts["logs.end_time"]));
  } else head.append(el("th", { scope: "col" }, texts["logs.date_time"]));
  present.forEach((c) => {
    const label = log === "extended" ? `${c.label} ${texts["logs.min"]} / ${texts["logs.avg"]} / ${texts["logs.max"]}` : c.label;
    head.append(el("th", { scope: "col" }, label));
  });
  $("thead", table).replaceChildren(head);
  return data.rows.map((r) => {
    const row = el("tr");
    row.append(el("td", { class: "time" }, r.time));
    if (log === "extended") row.append(el("td", { class: "time" }, r.end));
    present.forEach((c) => {
      const value = r.values ? shown(r.values[c.key]) : `${shown(r.minimum[c.key])} / ${shown(r.average[c.key])} / ${shown(r.maximum[c.key])}`;
      row.append(el("td", { class: "number" }, value));
    });
    return row;
  });
}

function showPager(data) {
  $$(".pager").forEach((pager) => {
    $(".page-info", pager).textContent = text("logs.page_info", { page: data.page, pages: data.pages, total: data.total });
    $('[data-go="first"]', pager).disabled = data.page <= 1;
    $('[data-go="previous"]', pager).disabled = data.page <= 1;
    $('[data-go="next"]', pager).disabled = data.page >= data.pages;
    $('[data-go="last"]', pager).disabled = data.page >= data.pages;
  });
}

let loading = 0;
async function load() {
  const query = tableQuery();
  if (!query) return;
  const ticket = ++loading;
  const result = await api("GET", `/api/v1/logs/${log}?` + query);
  if (ticket !== loading) return; // a newer request was sent meanwhile
  if (!result.ok) { showProblem(result, { start: [$("#log-start"), texts["logs.error.start"]], end: [$("#log-end"), texts["logs.error.end"]] }); return; }
  const data = result.data;
  state.page = data.page;
  state.pages = data.pages;
  showPager(data);
  let rows = isEvents ? eventRows(data.rows) : historyTable(data);
  if (!rows.length) {
    const columns = isEvents ? 3 : Math.max(1, $$("thead th", table).length);
    const row = el("tr", { class: "empty" });
    row.append(el("td", { colspan: String(columns) }, texts["logs.no_records"]));
    rows = [row];
  }
  $("tbody", table).replaceChildren(...rows);
}

rangeForm.addEventListener("submit", (event) => { event.preventDefault(); state.page = 1; load(); });
$("#log-per-page").addEventListener("change", () => { state.page = 1; load(); });
$$("button[data-go]").forEach((button) => button.addEventListener("click", () => {
  const to = { first: 1, previous: state.page - 1, next: state.page + 1, last: state.pages }[button.dataset.go];
  state.page = Math.max(1, Math.min(state.pages, to));
  load();
}));
$$("button.sort", table).forEach((button) => button.addEventListener("click", () => {
  state.order = state.sort === button.dataset.sort && state.order === "desc" ? "asc" : "desc";
  state.sort = button.dataset.sort;
  state.page = 1;
  $$("th[data-sort-col]", table).forEach((th) => {
    const on = th.dataset.sortCol === state.sort;
    th.setAttribute("aria-sort", on ? (state.order === "desc" ? "descending" : "ascending") : "none");
    $(".arrow", th).textContent = on && state.order === "asc" ? "▲" : "▼";
  });
  load();
}));
load();

// -- graph ---------------------------------------------------------------------------------------

if (pageData.graph) {
  const graphForm = $("#graph-range");
  const box = $("#log-graph");
  const names = Object.fromEntries((pageData.series || []).map((s) => [s.key, s]));
  let last = null;

  const graphQuery = () => {
    const range = (new FormData(graphForm)).get("range") || "30m";
    $("#custom-range").hidden = range !== "custom";
    const query = new URLSearchParams({ range });
    if (range !== "custom") return query;
    clearErrors(graphForm);
    const startInput = $("#graph-start-time"), endInput = $("#graph-end-time");
    const start = wallTime(startInput.value), end = wallTime(endInput.value);
    if (!start) { fieldError(startInput, texts["logs.error.range_start"]); return null; }
    if (end === null) { fieldError(endInput, texts["logs.error.range_end"]); return null; }
    if (end && end <= start) { fieldError(endInput, texts["logs.error.range_order"]); return null; }
    query.set("start", start);
    if (end) query.set("end", end);
    return query;
  };

  const draw = () => {
    if (!last) return;
    const groups = (new FormData(graphForm)).getAll("group");
    const wanted = new Set(groups.flatMap((g) => pageData.groups[g] || []));
    const series = last.series.filter((s) => wanted.has(s.key)).map((s) => {
      const info = names[s.key] || s;
      const points = last.points.map((p) => {
        const ms = Date.parse(p.t);
        return p.values ? [ms, p.values[s.key]] : [ms, p.average[s.key], p.minimum[s.key], p.maximum[s.key]];
      }).filter((p) => p[1] !== null && p[1] !== undefined);
      return { key: s.key, label: info.label, unit: s.unit, points };
    });
    drawCharts(box, series, {
      start: Date.parse(last.start), end: Date.parse(last.end), clock: pageData.clock, texts,
      language: document.body.dataset.language,
    });
  };

  const graphLoad = async () => {
    const query = graphQuery();
    if (!query) return;
    const result = await api("GET", `/api/v1/logs/${log}/series?` + query);
    if (!result.ok) {
      showProblem(result, { start: [$("#graph-start-time"), texts["logs.error.range_start"]], end: [$("#graph-end-time"), texts["logs.error.range_end"]] });
      return;
    }
    last = result.data;
    draw();
  };

  $$('input[name="range"]', graphForm).forEach((input) => input.addEventListener("change", () => {
    if (input.value === "custom") {
      $("#custom-range").hidden = false;
      if (!$("#graph-start-time").value) $("#graph-start-time").focus();
      else graphLoad();
    } else graphLoad();
  }));
  $$('input[name="group"]', graphForm).forEach((input) => input.addEventListener("change", draw));
  graphForm.addEventListener("submit", (event) => { event.preventDefault(); graphLoad(); });
  redrawOnResize(box, draw);
  graphLoad();
}
