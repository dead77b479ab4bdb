// netvision web UI: live values from the event stream, every change through the REST API.
"use strict";
(function () {
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const page = document.body.dataset.page;
  const csrfMeta = $('meta[name="csrf-token"]');
  const csrf = () => (csrfMeta ? csrfMeta.content : ($("#csrf") || {}).value || "");

  async function api(method, path, body, raw) {
    const options = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
    if (raw !== undefined) { options.body = raw; options.headers["Content-Type"] = "application/octet-stream"; }
    else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
    const response = await fetch(path, options);
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 401) { location.href = "/login" + (data.ended ? "?ended=" + data.ended : ""); }
    return { ok: response.ok, status: response.status, data };
  }

  function say(text, isError) {
    const box = $("#message");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("error", !!isError);
    box.hidden = !text;
  }
  function problemText(result) {
    const data = result.data || {};
    return [data.error || ("HTTP " + result.status)].concat(data.problems || []).join(" — ");
  }
  function readJson(id) {
    const node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---------------------------------------------------------------- login (§11.5)
  const loginForm = $("#login-form");
  if (loginForm) {
    loginForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(loginForm);
      const out = $("#login-error");
      out.textContent = "";
      const result = await api("POST", "/api/v1/login", { user: form.get("user"), password: form.get("password") });
      if (result.ok) { location.href = result.data.must_change ? "/login" : "/"; return; }
      const reason = (result.data && result.data.reason) || "invalid";
      out.textContent = out.dataset[reason] || problemText(result);
    });
  }
  const passwordForm = $("#password-form");
  if (passwordForm) {
    passwordForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(passwordForm);
      const out = $("#password-error");
      if (form.get("new") !== form.get("confirm")) { out.textContent = out.dataset.mismatch; return; }
      const result = await api("POST", "/api/v1/password", { current: form.get("current"), new: form.get("new") });
      if (result.ok) { out.textContent = out.dataset.done; setTimeout(() => { location.href = "/login"; }, 800); return; }
      out.textContent = problemText(result);
    });
  }
  if (page === "login") return;

  const logout = $("#logout");
  if (logout) logout.addEventListener("click", async () => { await api("POST", "/api/v1/logout"); location.href = "/login"; });

  // ---------------------------------------------------------------- live state
  const pageData = readJson("page-data");
  let live = readJson("live-data");
  let seenNewest = sessionStorage.getItem("nv-newest-alarm") || "";

  function topBar(data) {
    const icon = $("#alarm-icon");
    icon.hidden = !data.alarm_count;
    $("#alarm-count").textContent = data.alarm_count;
    // §12.1.4: the icon flashes when a new alarm comes in, until the alarm table is opened.
    if (page === "alarms") { seenNewest = data.newest_alarm; sessionStorage.setItem("nv-newest-alarm", seenNewest); }
    icon.classList.toggle("flash", !!data.newest_alarm && data.newest_alarm > seenNewest);
    const com = $("#communication");
    com.textContent = data.communication;
    com.classList.toggle("lost", !data.communicating);
    // Communication lost: the values stay, marked as the last read, with their time.
    const stale = $("#stale-notice");
    if (stale) { stale.hidden = !data.stale; stale.textContent = data.last_read_text || ""; }
    document.body.classList.toggle("stale", !!data.stale);
  }

  // ---------------------------------------------------------------- home: tree + synoptic
  let device = location.hash.slice(1) || "system";
  function renderBattery(battery, view) {
    battery.classList.remove("anim-open", "anim-charged", "anim-discharging", "anim-discharged", "anim-charging");
    battery.classList.add("anim-" + view.battery_animation);
    $("#battery-text").textContent = view.battery_text;
    const level = $("#battery-level");
    const capacity = Math.max(0, Math.min(100, view.battery_capacity == null ? 100 : view.battery_capacity));
    level.setAttribute("height", String(32 * capacity / 100));
    level.setAttribute("y", String(226 + 32 * (1 - capacity / 100)));
  }
  let table = null;
  function renderHome(data) {
    if (!data.views[device]) device = "system";
    const view = data.views[device];
    Object.entries(data.views).forEach(([id, v]) => {
      const dot = $(`[data-tree="${id}"]`);
      if (dot && v) dot.className = "dot t-" + v.tree;
    });
    const bdot = $('[data-battery-tree="system"]');
    if (bdot && data.views.system) bdot.className = "dot b-" + data.views.system.battery_tree;
    $$(".tree .node[data-device]").forEach((node) => node.classList.toggle("selected", node.dataset.device === device));
    if (!view) { $("#ups-status").textContent = data.communication; return; }
    $("#ups-status").textContent = view.ups_status;
    $("#battery-status").textContent = pageData.sts ? "" : view.battery_status;
    pageData.elements.forEach((name) => {
      const node = document.getElementById("el-" + name);
      if (!node) return;
      const colour = view.colours[name];
      node.classList.remove("c-grey", "c-green", "c-yellow", "c-red", "c-hidden", "absent");
      if (colour === undefined) node.classList.add("absent");
      else node.classList.add("c-" + colour);
    });
    const bar = $("#load-bar");
    bar.setAttribute("width", String(86 * Math.min(view.load || 0, 120) / 120));
    $("#load-text").textContent = view.load_text;
    const battery = $("#el-battery");
    if (battery) renderBattery(battery, view);
    const names = Object.keys(view.tables);
    const shown = table && names.includes(table) ? table : "ups";
    let title = pageData.titles[shown];
    if (shown === "ups" && device !== "system") title = device.replace("unit", "Unit ").replace("-module", " / Module ").replace(/^module/, "Module ");
    $("#table-title").textContent = title;
    $("#table-back").hidden = shown === "ups";
    $$(".synoptic .box").forEach((box) => box.classList.toggle("active", box.dataset.table === shown));
    const body = $("#params tbody");
    body.replaceChildren(...view.tables[shown].map(([label, value]) => {
      const row = el("tr");
      row.append(el("th", {}, label), el("td", {}, value));
      return row;
    }));
  }
  if (page === "home") {
    $$(".tree .node[data-device]").forEach((node) => node.addEventListener("click", () => {
      device = node.dataset.device; table = null; history.replaceState(null, "", "#" + device); renderHome(live);
    }));
    $$(".synoptic .box[data-table]").forEach((box) => {
      const open = () => { table = box.dataset.table; renderHome(live); };
      box.addEventListener("click", open);
      box.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") open(); });
    });
    $("#table-back").addEventListener("click", () => { table = null; renderHome(live); });
  }

  // ---------------------------------------------------------------- alarm table (§12.3)
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

  // ---------------------------------------------------------------- dashboard (§13)
  const WIDGETS = [
    ["load_rate", ["load_rate_l1", "load_rate_l2", "load_rate_l3"], 120, "%"],
    ["output_current", ["output_current_l1", "output_current_l2", "output_current_l3"], null, "A"],
    ["output_voltage", ["output_voltage_l1", "output_voltage_l2", "output_voltage_l3"], 300, "V"],
    ["input_voltage", ["input_voltage_l1", "input_voltage_l2", "input_voltage_l3"], 300, "V"],
    ["bypass_voltage", ["bypass_voltage_l1", "bypass_voltage_l2", "bypass_voltage_l3"], 300, "V"],
    ["source1_voltage", ["source1_voltage_l1", "source1_voltage_l2", "source1_voltage_l3"], 300, "V"],
    ["source2_voltage", ["source2_voltage_l1", "source2_voltage_l2", "source2_voltage_l3"], 300, "V"],
    ["battery_capacity", ["battery_capacity"], 100, "%"],
    ["battery_voltage", ["battery_voltage"], null, "V"],
    ["output_frequency", ["output_frequency"], 70, "Hz"],
    ["input_frequency", ["input_frequency"], 70, "Hz"],
    ["temperature", ["ambient_temperature"], 60, ""],
  ];
  function renderDashboard(data) {
    const m = data.measurements || {};
    const widgets = [];
    const onBattery = data.views.system && data.views.system.colours.inverter_input === "yellow";
    if (onBattery && m.remaining_backup_time != null) {
      const w = el("div", { class: "widget" });
      w.append(el("h3", {}, pageData.titles.remaining_backup_time), el("div", { class: "big" }, String(Math.round(m.remaining_backup_time))));
      widgets.push(w);
    }
    WIDGETS.forEach(([name, keys, max, unit]) => {
      const title = pageData.titles[name];
      if (name === "temperature") unit = pageData.temperature_unit;
      const present = keys.filter((k) => m[k] !== null && m[k] !== undefined);
      if (!present.length) return; // §13: measurements not available are not represented
      const w = el("div", { class: "widget" });
      w.append(el("h3", {}, title));
      let scale = max;
      const nominal = keys[0].startsWith("output_current") ? pageData.nominal_current : null;
      if (!scale) scale = Math.max(...present.map((k) => m[k]), nominal || 0) * 1.25 || 1;
      present.forEach((k, index) => {
        const row = el("div", { class: "bar-row" });
        const bar = el("div", { class: "bar" });
        const fill = el("div", { class: "fill" });
        const ratio = Math.max(0, Math.min(1, m[k] / scale));
        fill.style.width = (ratio * 100).toFixed(1) + "%";
        // §12.1.1 row 9 load colours: above 90 % yellow, above 100 % red.
        if (name === "load_rate" && m[k] > 100) fill.classList.add("over"); else if (name === "load_rate" && m[k] > 90) fill.classList.add("warn");
        if (nominal && m[k] > nominal) fill.classList.add("over");
        bar.append(fill);
        if (nominal) {
          const line = el("div", { class: "nominal", title: pageData.nominal_label });
          line.style.left = (Math.min(1, nominal / scale) * 100).toFixed(1) + "%";
          bar.append(line);
        }
        row.append(el("span", {}, present.length > 1 ? "L" + (index + 1) : ""), bar, el("span", {}, m[k].toFixed(unit === "Hz" ? 1 : 0) + " " + unit));
        w.append(row);
      });
      widgets.push(w);
    });
    $("#widgets").replaceChildren(...widgets);
  }

  // ---------------------------------------------------------------- real-time graph (§14)
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
  if (page === "graph") {
    $("#graph-start").addEventListener("click", () => { scanning = true; $("#graph-start").disabled = true; $("#graph-stop").disabled = false; renderGraph(live); });
    $("#graph-stop").addEventListener("click", () => { scanning = false; $("#graph-start").disabled = false; $("#graph-stop").disabled = true; });
  }

  // ---------------------------------------------------------------- controls (§16.1, §16.2)
  function showResult(result) {
    const out = $("#control-result");
    if (!out) return;
    out.textContent = (result.accepted ? "✔ " : "✘ ") + result.control + (result.reason ? " — " + result.reason : "");
    out.className = "result " + (result.accepted ? "accepted" : "refused");
  }
  function renderControl(data) {
    let any = false;
    $$("tr[data-control]").forEach((row) => {
      const allowed = data.remote_controls_permitted && data.permissions[row.dataset.control];
      row.hidden = !allowed;
      any = any || allowed;
    });
    const none = $("#controls-none");
    if (none) none.hidden = any;
  }
  if (page === "control" && $("#control-form")) {
    $("#control-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = $('input[name="control"]:checked');
      if (!chosen) return;
      const result = await api("POST", "/api/v1/controls", { control: chosen.value });
      showResult(result.data.control ? result.data : { control: chosen.value, accepted: false, reason: problemText(result) });
    });
  }
  // §16.2: one row for the system, or one per unit (distributed batteries).
  function renderBatteryTest(data) {
    const table = $("#battery-test-table");
    if (!table || !data.battery_tests) return;
    let any = false;
    data.battery_tests.forEach((test) => {
      const row = $(`tr[data-unit="${test.unit}"]`, table);
      if (!row) return;
      const status = $('[data-field="status_label"]', row);
      status.textContent = test.status_label;
      status.dataset.status = test.status;
      $('[data-field="last_test_text"]', row).textContent = test.last_test_text;
      const result = $('[data-field="result_label"]', row);
      result.textContent = test.result_label;
      result.dataset.result = test.result;
      $("[data-battery-test]", row).disabled = !test.can_start;
      any = any || test.can_start;
    });
    $("#battery-test-none").hidden = any || data.battery_tests.some((test) => test.status === "in_progress");
  }
  if (page === "battery-test") {
    $$("[data-battery-test]").forEach((button) => button.addEventListener("click", async () => {
      const unit = Number(button.dataset.batteryTest);
      const body = unit ? { control: "battery_test", unit } : { control: "battery_test" };
      const result = await api("POST", "/api/v1/controls", body);
      showResult(result.data.control ? result.data : { control: "battery_test", accepted: false, reason: problemText(result) });
    }));
  }

  // ---------------------------------------------------------------- settings forms (§18)
  // A change after which the firewall would refuse this browser comes back 409: ask first (§18.15).
  async function patchSettings(changes, confirmText) {
    let result = await api("PATCH", "/api/v1/settings", { changes });
    if (result.status === 409 && result.data.lockout && window.confirm(confirmText || result.data.error)) {
      result = await api("PATCH", "/api/v1/settings", { changes, confirm_lockout: true });
    }
    return result;
  }
  $$("form[data-settings-form]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = {};
      $$("[data-key]", form).forEach((input) => {
        if (input.disabled) return;
        if (input.dataset.secret !== undefined && !input.value) return; // left empty: the secret is kept
        let value = input.value;
        if (input.dataset.type === "int") value = Number(value);
        if (input.dataset.type === "bool") value = value === "true";
        changes[input.dataset.key] = value;
      });
      if (!Object.keys(changes).length) { say("✔"); return; }
      const result = await patchSettings(changes);
      say(result.ok ? "✔" : problemText(result), !result.ok);
      if (result.ok) $$("[data-secret]", form).forEach((input) => { input.value = ""; });
    });
  });
  const firewallForm = $("#firewall-form");
  if (firewallForm) {
    const body = $("#firewall-rules tbody");
    const renumber = () => $$("tr[data-rule]", body).forEach((row, index) => { $(".rule-index", row).textContent = index + 1; });
    body.addEventListener("click", (event) => {
      const button = event.target.closest("[data-remove-rule]");
      if (button) { button.closest("tr").remove(); renumber(); }
    });
    const add = $("#firewall-add");
    if (add) add.addEventListener("click", () => {
      if ($$("tr[data-rule]", body).length >= 32) return;
      body.appendChild($("#firewall-row").content.cloneNode(true));
      renumber();
    });
    firewallForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const rules = $$("tr[data-rule]", body).map((row) => ({
        address: $('[name="address"]', row).value.trim(),
        prefix_length: Number($('[name="prefix_length"]', row).value),
        action: $('[name="action"]', row).value,
      }));
      const result = await patchSettings({ "access_control.rules": rules }, firewallForm.dataset.confirm);
      say(result.ok ? "✔" : problemText(result), !result.ok);
    });
  }
  const linksForm = $("#links-form");
  if (linksForm) {
    linksForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const links = $$("tr[data-link]", linksForm).map((row) => ({
        text: $('[name="text"]', row).value, address: $('[name="address"]', row).value, enabled: $('[name="enabled"]', row).value === "true",
      })).filter((link) => link.text || link.address);
      const result = await api("PATCH", "/api/v1/settings", { changes: { "web.external_links": links } });
      say(result.ok ? "✔" : problemText(result), !result.ok);
    });
  }
  const upload = (input, path, done) => input && input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    const result = await api("POST", path, undefined, await file.arrayBuffer());
    say(result.ok ? "✔ " + file.name : problemText(result), !result.ok);
    input.value = "";
    if (result.ok && done) done(result.data);
  });
  function certificateInfo(info) {
    const box = $("#certificate-info");
    if (box && info) box.textContent = `${info.subject} — ${info.issuer} — ${info.not_after.slice(0, 10)}${info.uploaded ? " (uploaded)" : ""}`;
  }
  // Configuration restore: the file is checked and what it would change is shown first;
  // nothing is applied before the confirmation.
  const configUpload = $("#config-upload");
  if (configUpload) {
    let pending = null;
    const preview = $("#config-preview");
    const close = () => { pending = null; preview.hidden = true; };
    configUpload.addEventListener("change", async () => {
      const file = configUpload.files[0];
      if (!file) return;
      const body = { file: await file.text() };
      const password = $("#config-upload-password").value;
      if (password) body.password = password;
      configUpload.value = "";
      const result = await api("POST", "/api/v1/configuration/preview", body);
      if (!result.ok) { close(); say(problemText(result), true); return; }
      pending = body;
      const list = $("#config-preview-changes");
      list.textContent = "";
      $("#config-preview-note").textContent = result.data.note;
      result.data.changes.forEach((change) => list.appendChild(el("li", {},
        change.secret ? change.key + " (" + preview.dataset.secret + ")" : change.key + ": " + JSON.stringify(change.old) + " → " + JSON.stringify(change.new))));
      if (!result.data.changes.length) list.appendChild(el("li", {}, preview.dataset.nothing));
      preview.hidden = false;
    });
    $("#config-apply").addEventListener("click", async () => {
      if (!pending) return;
      let result = await api("POST", "/api/v1/configuration", pending);
      if (result.status === 409 && result.data.lockout && window.confirm(result.data.error)) {
        result = await api("POST", "/api/v1/configuration?confirm_lockout=true", pending);
      }
      close();
      $("#config-upload-password").value = "";
      say(result.ok ? "✔ " + result.data.note : problemText(result), !result.ok);
      if (result.ok) setTimeout(() => location.reload(), 1200);
    });
    $("#config-cancel").addEventListener("click", close);
  }
  const backupForm = $("#backup-form");
  if (backupForm) backupForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/api/v1/configuration/backup", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json" },
      body: JSON.stringify({ password: backupForm.elements.password.value }),
    });
    if (!response.ok) {
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      say(problemText({ status: response.status, data }), true);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: "netvision-backup.json" });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    backupForm.reset();
    say("✔");
  });
  upload($("#cert-upload"), "/api/v1/certificate", certificateInfo);
  if ($("#certificate-info")) api("GET", "/api/v1/certificate").then((r) => certificateInfo(r.data));
  const certRemove = $("#cert-remove");
  if (certRemove) certRemove.addEventListener("click", async () => {
    const result = await api("DELETE", "/api/v1/certificate");
    say(result.ok ? "✔" : problemText(result), !result.ok);
    if (result.ok) certificateInfo(result.data);
  });

  // ---------------------------------------------------------------- users (§18.4), account
  $$("tr[data-user-row]").forEach((row) => {
    const save = $("[data-save-user]", row);
    save.addEventListener("click", async () => {
      const name = $('[name="name"]', row).value.trim();
      if (!name) return;
      const body = { role: $('[name="role"]', row).value, language: $('[name="language"]', row).value, password: $('[name="password"]', row).value };
      const result = await api("PUT", "/api/v1/accounts/" + encodeURIComponent(name), body);
      say(result.ok ? "✔ " + name : problemText(result), !result.ok);
      if (result.ok) setTimeout(() => location.reload(), 400);
    });
    const remove = $("[data-delete-user]", row);
    if (remove) remove.addEventListener("click", async () => {
      const result = await api("DELETE", "/api/v1/accounts/" + encodeURIComponent(row.dataset.existing));
      say(result.ok ? "✔" : problemText(result), !result.ok);
      if (result.ok) setTimeout(() => location.reload(), 400);
    });
  });
  const languageForm = $("#language-form");
  if (languageForm) languageForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await api("PATCH", "/api/v1/account", { language: $('[name="language"]', languageForm).value });
    if (result.ok) location.reload(); else say(problemText(result), true);
  });
  if (page === "datetime") {
    $("#browser-time").textContent = new Date().toLocaleString();
    setInterval(() => { $("#browser-time").textContent = new Date().toLocaleString(); }, 1000);
    const clockResult = $("#clock-result");
    async function setClock(time, source) {
      const result = await api("POST", "/api/v1/clock", { time, source });
      clockResult.textContent = result.ok ? clockResult.dataset.done + " — " + result.data.time : problemText(result);
      clockResult.classList.toggle("error", !result.ok);
    }
    const browserButton = $("#clock-browser");
    if (browserButton) browserButton.addEventListener("click", () => setClock(new Date().toISOString(), "browser"));
    const clockForm = $("#clock-form");
    if (clockForm) clockForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const form = new FormData(clockForm);
      const date = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(String(form.get("date")).trim());
      const time = /^(\d{2}):(\d{2}):(\d{2})$/.exec(String(form.get("time")).trim());
      if (!date || !time) { clockResult.textContent = "dd/mm/yyyy hh:mm:ss"; clockResult.classList.add("error"); return; }
      // Local time of NET VISION's time zone: the server applies it (no offset sent).
      setClock(`${date[3]}-${date[2]}-${date[1]}T${time[1]}:${time[2]}:${time[3]}`, "manual");
    });
  }
  const passwordNotice = $("#password-notice-ok");
  if (passwordNotice) passwordNotice.addEventListener("click", () => { $("#password-notice").hidden = true; });

  // ---------------------------------------------------------------- logs (§21)
  const GROUPS = {
    voltage: ["input_voltage_l1", "input_voltage_l2", "input_voltage_l3", "output_voltage_l1", "output_voltage_l2", "output_voltage_l3", "source1_voltage_l1", "source2_voltage_l1"],
    load: ["load_rate", "load_rate_l1", "load_rate_l2", "load_rate_l3", "output_current_l1"],
    battery: ["battery_capacity"],
    frequency: ["input_frequency", "output_frequency"],
    temperature: ["ambient_temperature", "switch1_temperature", "switch2_temperature"],
  };
  if (page === "log") {
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
  }
  if (page === "clear-logs") {
    const counts = async () => {
      const result = await api("GET", "/api/v1/logs");
      if (result.ok) Object.entries(result.data).forEach(([log, n]) => { const cell = $(`[data-count="${log}"]`); if (cell) cell.textContent = n; });
    };
    $$("[data-clear]").forEach((button) => button.addEventListener("click", async () => {
      const result = await api("DELETE", "/api/v1/logs/" + button.dataset.clear);
      say(result.ok ? "✔ " + result.data.cleared : problemText(result), !result.ok);
      counts();
    }));
    counts();
  }

  // ---------------------------------------------------------------- restart, reset (§18.3, App. SSH)
  let restarting = false;
  $$("[data-agent-action]").forEach((button) => button.addEventListener("click", () => {
    const box = $(`[data-agent-confirm="${button.dataset.agentAction}"]`);
    $$("[data-agent-confirm]").forEach((other) => { other.hidden = other !== box; });
  }));
  $$("[data-agent-cancel]").forEach((button) => button.addEventListener("click", () => {
    $(`[data-agent-confirm="${button.dataset.agentCancel}"]`).hidden = true;
  }));
  $$("[data-agent-go]").forEach((button) => button.addEventListener("click", async () => {
    const action = button.dataset.agentGo;
    $(`[data-agent-confirm="${action}"]`).hidden = true;
    const out = $("#agent-result");
    const result = await api("POST", "/api/v1/agent/" + action);
    restarting = result.ok;
    out.textContent = result.ok ? out.dataset.restarting : problemText(result);
    out.classList.toggle("error", !result.ok);
  }));

  // ---------------------------------------------------------------- the stream
  function render(data) {
    live = data;
    topBar(data);
    if (page === "home") renderHome(data);
    else if (page === "alarms") renderAlarms(data);
    else if (page === "dashboard") renderDashboard(data);
    else if (page === "graph") renderGraph(data);
    else if (page === "control") renderControl(data);
    else if (page === "battery-test") renderBatteryTest(data);
    if (page === "datetime" && data.time) $("#nv-time").textContent = new Date(data.time).toLocaleString();
  }
  if (live && live.views) render(live);
  const stream = new EventSource("/api/v1/live");
  stream.addEventListener("snapshot", (event) => render(JSON.parse(event.data)));
  stream.addEventListener("control", (event) => showResult(JSON.parse(event.data)));
  stream.addEventListener("ended", (event) => {
    stream.close();
    const reason = JSON.parse(event.data).reason;
    location.href = "/login?ended=" + encodeURIComponent(reason);
  });
  let streamLost = false;
  stream.addEventListener("open", () => {
    // Back after a restart of NET VISION: the page that asked for it shows the settings now in force.
    if (streamLost && restarting) location.reload();
    streamLost = false;
  });
  stream.onerror = () => {
    streamLost = true;  // the browser reconnects by itself (NET VISION restarting, network)
    // A stream refused with 401 (session gone) does not reconnect by itself: check the session.
    if (stream.readyState === EventSource.CLOSED) api("GET", "/api/v1/session");
  };
})();
