// Syslog (§18.13): the groups of events are checkboxes, sent with the other settings.
import { $, $$, pageData, say } from "../core.js";
import { onBeforeSave } from "../forms.js";

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
