// The wallboard's live figures: server-sent events from /admin/wallboard/events, each a JSON
// copy of /admin/wallboard.json. Elements keep stable ids (see ivr/admin/live.py):
// calls-in-ivr, total-waiting, total-longest, agents-<bucket>, and per queue queue-<name> rows
// with waiting-, longest-, free-, busy-, paused-, answered-, abandoned-<name>.
"use strict";
(function () {
  const COLUMNS = [
    ["waiting", (q) => q.waiting],
    ["longest", (q) => clock(q.longest_wait_s)],
    ["free", (q) => q.agents_free],
    ["busy", (q) => q.agents_busy],
    ["paused", (q) => q.agents_paused],
    ["answered", (q) => q.answered_today],
    ["abandoned", (q) => q.abandoned_today],
  ];

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function put(id, value) {
    const element = document.getElementById(id);
    if (element && element.textContent !== String(value)) {
      element.textContent = String(value);
    }
  }

  function queueRow(body, q) {
    let row = document.getElementById("queue-" + q.name);
    if (!row) {
      row = document.createElement("tr");
      row.id = "queue-" + q.name;
      const name = document.createElement("td");
      name.textContent = q.name;
      row.appendChild(name);
      for (const [prefix] of COLUMNS) {
        const cell = document.createElement("td");
        cell.id = prefix + "-" + q.name;
        cell.className = prefix === "waiting" || prefix === "longest" ? "num big-cell" : "num";
        row.appendChild(cell);
      }
      body.appendChild(row);
    }
    for (const [prefix, value] of COLUMNS) {
      put(prefix + "-" + q.name, value(q));
    }
  }

  function show(data) {
    put("wallboard-at", (data.at || "").slice(11, 19));
    put("calls-in-ivr", data.calls_in_ivr);
    if (!data.ami) {
      return;
    }
    put("total-waiting", data.total.waiting);
    put("total-longest", clock(data.total.longest_wait_s));
    for (const [bucket, count] of Object.entries(data.agents)) {
      put("agents-" + bucket.replace(/_/g, "-"), count);
    }
    const body = document.getElementById("queue-rows");
    if (body) {
      data.queues.forEach((q) => queueRow(body, q));
    }
    const status = document.getElementById("ami-status");
    if (status) {
      status.className = data.ami_connected ? "muted" : "error";
      put("ami-status", data.ami_connected
        ? "Connected to Asterisk's manager."
        : "Not connected to Asterisk's manager right now: queue figures may be out of date (the IVR reconnects by itself).");
    }
  }

  function start() {
    const link = document.getElementById("wallboard-link");
    const events = new EventSource("/admin/wallboard/events");
    events.addEventListener("wallboard", (e) => {
      show(JSON.parse(e.data));
      link.textContent = "live";
      link.className = "";
    });
    events.onopen = () => { link.textContent = "live"; link.className = ""; };
    events.onerror = () => {
      // EventSource retries by itself; a closed source (signed out) needs a reload.
      const closed = events.readyState === EventSource.CLOSED;
      link.textContent = closed ? "stopped: reload the page (signed out?)" : "reconnecting…";
      link.className = "lost";
    };
  }

  document.addEventListener("DOMContentLoaded", start);
})();
