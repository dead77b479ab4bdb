// Alarm table (§12.3).
import { $, el, onLive } from "../core.js";

function renderAlarms(data) {
  $("#alarms-count").textContent = data.stale ? "-" : data.alarm_count; // unknown, not 0, while the UPS is silent
  const newest = data.alarms.reduce((a, b) => (!a || b.since > a.since ? b : a), null);
  $("#alarms-last").textContent = newest ? newest.label : "";
  $("#alarms-none").hidden = data.alarm_count > 0 || !!data.stale; // not "no alarm" while the alarms are unknown
  $("#alarm-table tbody").replaceChildren(...data.alarms.map((alarm) => {
    const row = el("tr", { class: "level-" + alarm.level });
    const time = new Date(alarm.since);
    row.append(el("td", {}, alarm.acronym), el("td", {}, time.toLocaleString()), el("td", {}, alarm.label), el("td", {}, alarm.level_label));
    return row;
  }));
}

onLive(renderAlarms);
