// One chart component for the real-time graph and the history graphs: SVG drawn here,
// nothing loaded from elsewhere. Series of like quantities (same unit) share one panel and
// one value scale; every panel has a time axis, a value axis with its unit, a legend and a
// readout of each series' value at the pointer (mouse, touch or arrow keys).
import { el, svgEl } from "./core.js";

const MINUTE = 60_000, HOUR = 3_600_000, DAY = 86_400_000;
const TIME_STEPS = [MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR,
  3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];
const UNIT_ORDER = ["%", "V", "A", "Hz", "°C", "°F", "kVA", "kW", "mn"];
// Quantities that start from nothing: their scale includes 0.
const FROM_ZERO = new Set(["%", "A", "kVA", "kW", "mn", "Ah"]);
// The least span a scale shows, so that small normal changes do not look like swings.
const MIN_SPAN = { V: 40, Hz: 10, "°C": 20, "°F": 36 };
const PALETTE = 8;

// -- scales ------------------------------------------------------------------------------------

function niceStep(raw) {
  if (!(raw > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

// Round bounds and the ticks between them (about `count` intervals).
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) { hi = lo + 1; }
  const step = niceStep((hi - lo) / count);
  const low = Math.floor(lo / step + 1e-9) * step;
  const high = Math.ceil(hi / step - 1e-9) * step;
  const ticks = [];
  for (let value = low; value <= high + step / 2; value += step) ticks.push(Number(value.toFixed(6)));
  return { lo: low, hi: high, step, ticks };
}

// The value scale of one unit: 0-100 % for a rate (more if exceeded), 0 included for
// quantities that start from nothing, and a least span for voltages, frequencies and temperatures.
export function valueDomain(unit, values) {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (unit === "%") { lo = Math.min(0, lo); hi = Math.max(100, hi); }
  else if (FROM_ZERO.has(unit) && lo >= 0) { lo = 0; hi = Math.max(hi, 1); }
  else {
    const least = Math.max(MIN_SPAN[unit] || 0, Math.abs(hi) * 0.1, 1);
    if (hi - lo < least) { const middle = (hi + lo) / 2; lo = middle - least / 2; hi = middle + least / 2; }
    if (lo < 0 && Math.min(...finite) >= 0) { hi -= lo; lo = 0; }
  }
  return niceTicks(lo, hi, 4);
}

// -- time in NET VISION's zone -------------------------------------------------------------------

// clock: {zone, dst, offset_minutes} from the server. With the zone's own DST rule the
// browser's time zone database is used; otherwise the fixed offset the server gives.
export function makeClock(clock) {
  const info = clock || { zone: "UTC", dst: "auto", offset_minutes: 0 };
  let parts = null;
  if (info.dst === "auto" && info.zone && info.zone !== "UTC") {
    try {
      const format = new Intl.DateTimeFormat("en-GB", {
        timeZone: info.zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
      parts = (ms) => {
        const out = {};
        format.formatToParts(new Date(ms)).forEach((p) => { out[p.type] = p.value; });
        return out;
      };
    } catch (e) { parts = null; }
  }
  const fixed = (info.dst === "auto" && (!info.zone || info.zone === "UTC")) ? 0 : (info.offset_minutes || 0) * MINUTE;
  const two = (n) => String(n).padStart(2, "0");
  const fields = parts || ((ms) => {
    const d = new Date(ms + fixed);
    return { year: d.getUTCFullYear(), month: two(d.getUTCMonth() + 1), day: two(d.getUTCDate()),
      hour: two(d.getUTCHours()), minute: two(d.getUTCMinutes()), second: two(d.getUTCSeconds()) };
  });
  // The offset from UTC at an instant (ms), for ticks on round local times.
  const offsetAt = (ms) => {
    if (!parts) return fixed;
    const p = parts(ms);
    const local = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
    return local - Math.floor(ms / 1000) * 1000;
  };
  return {
    offsetAt,
    hm: (ms) => { const p = fields(ms); return `${p.hour}:${p.minute}`; },
    dm: (ms) => { const p = fields(ms); return `${p.day}/${p.month}`; },
    full: (ms) => { const p = fields(ms); return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`; },
  };
}

// Ticks on round local times, about one per `spacing` pixels.
export function timeTicks(start, end, width, clock, spacing = 90) {
  const span = Math.max(end - start, 1);
  const wanted = Math.max(2, Math.floor(width / spacing));
  const step = TIME_STEPS.find((s) => span / s <= wanted) || TIME_STEPS[TIME_STEPS.length - 1];
  const offset = clock.offsetAt(start);
  const ticks = [];
  for (let local = Math.ceil((start + offset) / step) * step; local - offset <= end; local += step) ticks.push(local - offset);
  const long = span > 20 * HOUR;
  const labels = ticks.map((ms, index) => {
    if (step >= DAY) return clock.dm(ms);
    const hm = clock.hm(ms);
    return long && (index === 0 || hm === "00:00") ? `${clock.dm(ms)} ${hm}` : hm;
  });
  return { ticks, labels, step };
}

// -- drawing -------------------------------------------------------------------------------------

function groupByUnit(series) {
  const groups = new Map();
  series.forEach((s) => {
    if (!groups.has(s.unit)) groups.set(s.unit, []);
    const group = groups.get(s.unit);
    group.push({ ...s, colour: group.length % PALETTE });
  });
  const rank = (unit) => { const i = UNIT_ORDER.indexOf(unit); return i < 0 ? UNIT_ORDER.length : i; };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]));
}

function nearest(points, ms) {
  let lo = 0, hi = points.length - 1;
  if (hi < 0) return -1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (points[mid][0] < ms) lo = mid; else hi = mid; }
  return Math.abs(points[lo][0] - ms) <= Math.abs(points[hi][0] - ms) ? lo : hi;
}

// The usual distance between points: a longer gap (NET VISION stopped) breaks the line.
function gapLimit(points) {
  if (points.length < 3) return Infinity;
  const steps = [];
  for (let i = 1; i < points.length; i++) steps.push(points[i][0] - points[i - 1][0]);
  steps.sort((a, b) => a - b);
  return Math.max(steps[steps.length >> 1] * 3, MINUTE);
}

// A line broken at gaps; a point alone is drawn as a dot (a zero-length stroke with round caps).
function pathOf(points, x, y, column) {
  const limit = gapLimit(points);
  const runs = [];
  let run = [], previous = null;
  points.forEach((p) => {
    const v = p[column];
    if (!Number.isFinite(v)) { previous = null; return; }
    if (previous === null || p[0] - previous > limit) { if (run.length) runs.push(run); run = []; }
    run.push(`${x(p[0]).toFixed(1)},${y(v).toFixed(1)}`);
    previous = p[0];
  });
  if (run.length) runs.push(run);
  return runs.map((r) => "M" + r.join("L") + (r.length === 1 ? "h0.01" : "")).join("");
}

function bandOf(points, x, y) {
  // min-max band as one closed shape per unbroken run
  const limit = gapLimit(points);
  const runs = [];
  let run = [];
  points.forEach((p, i) => {
    if (!Number.isFinite(p[2]) || !Number.isFinite(p[3]) || (i && p[0] - points[i - 1][0] > limit)) {
      if (run.length) runs.push(run);
      run = [];
      if (!Number.isFinite(p[2]) || !Number.isFinite(p[3])) return;
    }
    run.push(p);
  });
  if (run.length) runs.push(run);
  return runs.map((r) => {
    const top = r.map((p) => `${x(p[0]).toFixed(1)},${y(p[3]).toFixed(1)}`);
    const bottom = r.slice().reverse().map((p) => `${x(p[0]).toFixed(1)},${y(p[2]).toFixed(1)}`);
    return "M" + top.join("L") + "L" + bottom.join("L") + "Z";
  }).join("");
}

// series: [{key, label, unit, points: [[ms, value]] or [[ms, avg, min, max]]}]
// options: {start, end (ms), clock (server's), texts, language, height}
export function drawCharts(container, series, options) {
  const opts = options || {};
  const texts = opts.texts || {};
  const number = new Intl.NumberFormat(opts.language || "en", { maximumFractionDigits: 1 });
  const clock = makeClock(opts.clock);
  const shown = series.filter((s) => s.points.some((p) => Number.isFinite(p[1])));
  if (!shown.length) {
    container.replaceChildren(el("p", { class: "hint no-data" }, texts["chart.no_data"] || "No record in this period."));
    return;
  }
  let start = opts.start, end = opts.end;
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    start = Math.min(...shown.map((s) => s.points[0][0]));
    end = Math.max(...shown.map((s) => s.points[s.points.length - 1][0]));
  }
  if (end - start < MINUTE) { start = end - MINUTE; }
  const width = Math.max(280, Math.floor(container.clientWidth || 600));
  const height = opts.height || (width < 500 ? 180 : 220);
  const margin = { left: 50, right: 12, top: 14, bottom: 26 };
  const plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom;
  const x = (ms) => margin.left + ((ms - start) / (end - start)) * plotW;
  const time = timeTicks(start, end, plotW, clock);
  const panels = groupByUnit(shown).map(([unit, items]) => {
    const values = [];
    items.forEach((s) => s.points.forEach((p) => { for (let i = 1; i < p.length; i++) values.push(p[i]); }));
    const scale = valueDomain(unit, values);
    const y = (v) => margin.top + plotH - ((v - scale.lo) / (scale.hi - scale.lo)) * plotH;
    const names = items.map((s) => s.label).join(", ");
    const panel = el("figure", { class: "chart", "data-unit": unit });
    const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width: String(width), height: String(height),
      role: "img", tabindex: "0", "aria-label": (texts["chart.label"] || "Chart of {names}").replace("{names}", names) });
    const axes = svgEl("g", { class: "axes" });
    scale.ticks.forEach((v) => {
      axes.append(svgEl("line", { class: "grid-line", x1: margin.left, x2: width - margin.right, y1: y(v), y2: y(v) }));
      const label = svgEl("text", { class: "tick-label", x: margin.left - 6, y: y(v) + 4, "text-anchor": "end" });
      label.textContent = number.format(v);
      axes.append(label);
    });
    const unitLabel = svgEl("text", { class: "unit-label", x: 4, y: 11 });
    unitLabel.textContent = unit;
    axes.append(unitLabel);
    axes.append(svgEl("line", { class: "axis-line", x1: margin.left, x2: width - margin.right, y1: margin.top + plotH, y2: margin.top + plotH }));
    time.ticks.forEach((ms, i) => {
      const tx = x(ms);
      axes.append(svgEl("line", { class: "axis-line", x1: tx, x2: tx, y1: margin.top + plotH, y2: margin.top + plotH + 4 }));
      const label = svgEl("text", { class: "tick-label time-label", x: tx, y: height - 6, "text-anchor": "middle" });
      label.textContent = time.labels[i];
      axes.append(label);
    });
    svg.append(axes);
    items.forEach((s) => {
      if (s.points.some((p) => p.length > 3)) svg.append(svgEl("path", { class: `band c${s.colour}`, d: bandOf(s.points, x, y) }));
      svg.append(svgEl("path", { class: `line c${s.colour}`, d: pathOf(s.points, x, y, 1), "data-key": s.key }));
    });
    const cursor = svgEl("g", { class: "cursor", visibility: "hidden" });
    cursor.append(svgEl("line", { x1: 0, x2: 0, y1: margin.top, y2: margin.top + plotH }));
    const dots = items.map((s) => { const dot = svgEl("circle", { r: 3.5, class: `dot c${s.colour}` }); cursor.append(dot); return dot; });
    svg.append(cursor);
    const legend = el("ul", { class: "legend" });
    items.forEach((s) => {
      const entry = el("li", {});
      entry.append(el("span", { class: `swatch c${s.colour}`, "aria-hidden": "true" }), document.createTextNode(`${s.label} (${unit})`));
      legend.append(entry);
    });
    const readout = el("div", { class: "readout", role: "group", "aria-label": texts["chart.readout"] || "Values at the pointer" });
    readout.hidden = true;
    panel.append(svg, legend, readout);

    let at = null;
    const show = (ms) => {
      at = Math.max(start, Math.min(end, ms));
      container.readoutAt = { unit, ms: at, latest: at >= end };
      let anchor = null;
      const lines = items.map((s, i) => {
        const index = nearest(s.points, at);
        const p = index < 0 ? null : s.points[index];
        if (!p || !Number.isFinite(p[1])) { dots[i].setAttribute("visibility", "hidden"); return [s, null]; }
        if (anchor === null || Math.abs(p[0] - at) < Math.abs(anchor - at)) anchor = p[0];
        dots[i].setAttribute("visibility", "visible");
        dots[i].setAttribute("cx", x(p[0]).toFixed(1));
        dots[i].setAttribute("cy", y(p[1]).toFixed(1));
        return [s, p];
      });
      const cx = x(anchor === null ? at : anchor).toFixed(1);
      cursor.firstChild.setAttribute("x1", cx);
      cursor.firstChild.setAttribute("x2", cx);
      cursor.setAttribute("visibility", "visible");
      const head = el("div", { class: "readout-time" }, clock.full(anchor === null ? at : anchor));
      const list = el("ul", {});
      lines.forEach(([s, p]) => {
        const item = el("li", {});
        item.append(el("span", { class: `swatch c${s.colour}`, "aria-hidden": "true" }));
        let value = "—";
        if (p && p.length > 3) value = `${number.format(p[1])} ${unit} (${texts["logs.min"] || "min"} ${number.format(p[2])}, ${texts["logs.max"] || "max"} ${number.format(p[3])})`;
        else if (p) value = `${number.format(p[1])} ${unit}`;
        const pattern = texts["chart.value"] || "{name}: {value}";
        item.append(document.createTextNode(pattern.replace("{name}", s.label).replace("{value}", value)));
        list.append(item);
      });
      readout.replaceChildren(head, list);
      readout.hidden = false;
    };
    const hide = () => { cursor.setAttribute("visibility", "hidden"); readout.hidden = true; at = null; container.readoutAt = null; };
    panel.showAt = show;
    const fromEvent = (event) => {
      const box = svg.getBoundingClientRect();
      const px = ((event.clientX - box.left) / box.width) * width;
      return start + ((px - margin.left) / plotW) * (end - start);
    };
    svg.addEventListener("pointermove", (event) => show(fromEvent(event)));
    svg.addEventListener("pointerdown", (event) => show(fromEvent(event)));
    svg.addEventListener("pointerleave", (event) => { if (event.pointerType === "mouse") hide(); });
    svg.addEventListener("blur", hide);
    svg.addEventListener("keydown", (event) => {
      const stepMs = (end - start) / 50;
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        show((at === null ? end : at) + (event.key === "ArrowRight" ? stepMs : -stepMs));
      } else if (event.key === "Escape") hide();
    });
    return panel;
  });
  const kept = container.readoutAt; // a redraw (new data, new width) keeps the readout where it was
  container.replaceChildren(...panels);
  if (kept) {
    const panel = panels.find((p) => p.dataset.unit === kept.unit);
    if (panel) panel.showAt(kept.latest ? end : kept.ms);
  }
}

// Redraw when the container changes width (phone turned, window resized).
export function redrawOnResize(container, draw) {
  let width = container.clientWidth;
  let timer = null;
  if (typeof ResizeObserver !== "function") return;
  new ResizeObserver(() => {
    if (Math.abs(container.clientWidth - width) < 8) return;
    width = container.clientWidth;
    clearTimeout(timer);
    timer = setTimeout(draw, 120);
  }).observe(container);
}
