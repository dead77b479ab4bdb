// Date and time (§18.1): every time as dd/mm/yyyy hh:mm:ss in NET VISION's time zone.
import { $, api, confirmAction, onLive, pageData, problemText, say } from "../core.js";
import { onAfterSave } from "../forms.js";

const two = (n) => String(n).padStart(2, "0");
// The manual's format in the configured zone: the zone's own rules when DST is "auto",
// else the offset the server computed for the configured DST rule.
export function manualTime(value) {
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return "—";
  if (pageData.dst === "auto") {
    try {
      const parts = {};
      new Intl.DateTimeFormat("en-GB", {
        timeZone: pageData.time_zone || "UTC", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      }).formatToParts(moment).forEach((part) => { parts[part.type] = part.value; });
      return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}:${parts.second}`;
    } catch (e) { /* unknown zone in this browser: the server's offset below */ }
  }
  const local = new Date(moment.getTime() + (pageData.offset_minutes || 0) * 60000);
  return `${two(local.getUTCDate())}/${two(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} ` +
    `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
}

const browserTime = $("#browser-time");
const tick = () => { browserTime.textContent = manualTime(Date.now()); };
tick();
setInterval(tick, 1000);

const clockResult = $("#clock-result");
async function setClock(time, source) {
  const result = await api("POST", "/api/v1/clock", { time, source });
  const text = result.ok ? clockResult.dataset.done.replace("{time}", result.data.time ? manualTime(result.data.time) : "") : problemText(result);
  clockResult.textContent = text;
  clockResult.classList.toggle("error", !result.ok);
  say(text, !result.ok);
}
const browserButton = $("#clock-browser");
if (browserButton) browserButton.addEventListener("click", async () => {
  if (await confirmAction(browserButton.dataset.confirm.replace("{time}", manualTime(Date.now())))) setClock(new Date().toISOString(), "browser");
});
const clockForm = $("#clock-form");
if (clockForm) clockForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(clockForm);
  const date = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(String(form.get("date")).trim());
  const time = /^(\d{2}):(\d{2}):(\d{2})$/.exec(String(form.get("time")).trim());
  clockForm.elements.date.toggleAttribute("aria-invalid", !date);
  clockForm.elements.time.toggleAttribute("aria-invalid", !time);
  if (!date || !time) {
    clockResult.textContent = clockResult.dataset.bad;
    clockResult.classList.add("error");
    (date ? clockForm.elements.time : clockForm.elements.date).focus();
    return;
  }
  // Local time of NET VISION's time zone: the server applies it (no offset sent).
  setClock(`${date[3]}-${date[2]}-${date[1]}T${time[1]}:${time[2]}:${time[3]}`, "manual");
});
onLive((data) => { if (data.time) $("#nv-time").textContent = manualTime(data.time); });
// A new time zone or summer time rule: the page is drawn again with it.
onAfterSave((changes, form, before) => {
  if (["system.time_zone", "system.dst"].some((key) => key in changes && String(changes[key]) !== before[key])) {
    setTimeout(() => location.reload(), 800);
  }
});
