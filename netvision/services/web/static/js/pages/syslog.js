// Syslog (§18.13): the groups of events are checkboxes, sent with the other settings; the
// message counters follow the service while the page is open.
import { $, $$, pageData, say } from "../core.js";
import { onBeforeSave } from "../forms.js";
import { followService, showHealth } from "../service-live.js";

const form = $("#syslog-form");
const texts = pageData.texts || {};

if (form) {
  onBeforeSave((changes, saving) => {
    if (saving !== form) return true;
    changes["syslog.groups"] = $$('input[name="syslog-group"]:checked', form).map((box) => box.value);
    if (!changes["syslog.groups"].length) say(texts.groups_none);
    return true;
  });
}

const panel = $("#syslog-counters");
if (panel) {
  followService("syslog", (health) => {
    const off = $("#syslog-off");
    if (off) off.hidden = !health || health.state !== "disabled";
    if (!showHealth(panel, health)) return;
    // The sender counts each connection and each loss of one (as notifications.py syslog_connected).
    const counters = health.counters;
    const connected = (counters.connections || 0) > (counters.disconnections || 0);
    $('[data-service-field="connection"]', panel).textContent = connected ? texts.syslog_connected : texts.syslog_not_connected;
  });
}
