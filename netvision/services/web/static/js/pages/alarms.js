// Alarm table (§12.3). Times come from the server in the manual's format and NET VISION's
// time zone, whatever the browser's own.
import { $, el, onLive } from "../core.js";

function renderAlarms(data) {
  $("#alarms-count").textContent = data.stale ? "-" : data.alarm_count; // unknown, not 0, while the UPS is silent
  const newest = data.alarms.reduce((a, b) => (!a || b.since > a.since ? b : a), null);
  $("#alarms-last").textContent = newest ? newest.since_text + " — " + newest.label : "";
  $("#alarms-none").hidden = data.alarm_count > 0 || !!data.stale; // not "no alarm" while the alarms are unknown
  $("#alarms-stale").hidden = !data.stale;
  $("#alarm-table tbody").replaceChildren(...data.alarms.map((alarm) => {
    const row = el("tr", { class: "level-" + alarm.level });
    row.append(el("td", {}, alarm.acronym), el("td", {}, alarm.since_text), el("td", {}, alarm.label), el("td", {}, alarm.level_label));
    return row;
  }));
}

onLive(renderAlarms);
