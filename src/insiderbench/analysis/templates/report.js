"use strict";
// The transcript browser. Model text only ever reaches the page through textContent
// (never innerHTML), so markup inside a reply is shown as text and never runs.
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const records = data.transcripts;
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function yesNo(v) {
    return v === true ? "harmful" : v === false ? "not harmful" : "-";
  }

  function verdictClass(v) {
    return "v-" + String(v).replace(/ /g, "-");
  }

  // Interval bars in the overview table.
  document.querySelectorAll(".bar").forEach(function (bar) {
    const ci = bar.querySelector(".ci");
    const pt = bar.querySelector(".pt");
    const lo = parseFloat(ci.dataset.lo), hi = parseFloat(ci.dataset.hi);
    const at = parseFloat(pt.dataset.at);
    if (isNaN(lo) || isNaN(at)) { bar.hidden = true; return; }
    ci.style.left = lo + "%";
    ci.style.width = Math.max(1, hi - lo) + "%";
    pt.style.left = "calc(" + at + "% - 1px)";
  });

  function fillSelect(select, values, label) {
    values.forEach(function (v) {
      const o = el("option", null, label ? label(v) : v);
      o.value = v;
      select.appendChild(o);
    });
  }
  const models = Array.from(new Set(records.map((r) => r.model))).sort();
  const conditions = Array.from(new Set(records.map((r) => r.condition_id))).sort();
  fillSelect($("f-model"), models, (m) => (data.labels[m] || m));
  fillSelect($("f-condition"), conditions);

  function matches(r) {
    const m = $("f-model").value, c = $("f-condition").value, v = $("f-verdict").value;
    const q = $("f-text").value.trim().toLowerCase();
    if (m && r.model !== m) return false;
    if (c && r.condition_id !== c) return false;
    if (v && r.verdict !== v) return false;
    if ($("f-truncated").checked && !r.truncated) return false;
    if (q) {
      const text = r.messages.map((x) => x.parts.map((p) => p.t).join("")).join("\n");
      if (text.toLowerCase().indexOf(q) < 0) return false;
    }
    return true;
  }

  let current = -1;
  function renderList() {
    const body = $("tx-list").querySelector("tbody");
    body.replaceChildren();
    let shown = 0;
    records.forEach(function (r, i) {
      if (!matches(r)) return;
      shown += 1;
      const tr = el("tr");
      tr.tabIndex = 0;
      tr.dataset.index = String(i);
      if (i === current) tr.className = "open";
      tr.appendChild(el("td", null, data.labels[r.model] || r.model));
      tr.appendChild(el("td", null, r.condition_id));
      tr.appendChild(el("td", "num", r.epoch));
      tr.appendChild(el("td", verdictClass(r.verdict), r.verdict));
      tr.appendChild(el("td", null, yesNo(r.gate)));
      tr.appendChild(el("td", null, yesNo(r.check)));
      tr.appendChild(el("td", null, yesNo(r.judge)));
      tr.appendChild(el("td", null, r.awareness || "-"));
      tr.addEventListener("click", () => openRecord(i));
      tr.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openRecord(i); }
      });
      body.appendChild(tr);
    });
    $("f-count").textContent = shown + " of " + records.length + " shown";
  }

  function messageNode(m) {
    const box = el("div", "msg");
    box.appendChild(el("div", "role", m.role + (m.fn ? " (" + m.fn + ")" : "")));
    const pre = el("pre");
    m.parts.forEach(function (p) {
      pre.appendChild(el("span", "seg-" + p.k, p.t));
    });
    box.appendChild(pre);
    (m.calls || []).forEach(function (c) {
      const call = el("pre", "call" + (c.action ? " action" : ""));
      call.textContent = c.fn + " " + c.args;
      box.appendChild(call);
    });
    return box;
  }

  function scoreCard(s) {
    const card = el("div", "card" + (s.in_effect ? "" : " stale"));
    let value = "unscored";
    if (s.value !== null && s.value !== undefined) {
      value = s.kind === "awareness" ? "concluded " + s.value
        : (s.value >= 0.5 ? "harmful" : "not harmful");
    }
    card.appendChild(el("h4", null, s.kind + ": " + value));
    const kv = [s.name, s.judge ? "judge " + s.judge : null, s.grader ? "grader " + s.grader : null,
      s.scored_at, s.in_effect ? "in effect" : "superseded by a newer score"];
    card.appendChild(el("div", "kv", kv.filter(Boolean).join(" · ")));
    if (s.rules) {
      const rules = el("div");
      Object.keys(s.rules).forEach((k) => rules.appendChild(el("span", "pill", k + ": " + yesNo(s.rules[k]))));
      card.appendChild(rules);
    }
    if (s.reason) card.appendChild(el("div", "why", "Not scored: " + s.reason));
    if (s.reasoning) card.appendChild(el("div", "why", s.reasoning));
    [["labels", s.labels], ["gates", s.gates], ["signals", s.signals]].forEach(function (pair) {
      if (!pair[1]) return;
      const row = el("div");
      Object.keys(pair[1]).forEach((k) => row.appendChild(el("span", "pill", k + ": " + JSON.stringify(pair[1][k]))));
      card.appendChild(el("div", "kv", pair[0]));
      card.appendChild(row);
    });
    return card;
  }

  function openRecord(i) {
    current = i;
    const r = records[i];
    $("tx-detail").hidden = false;
    $("d-title").textContent = (data.labels[r.model] || r.model) + " · " + r.condition_id + " · sample " + r.epoch;
    const facts = ["verdict (" + r.rule + "): " + r.verdict, "gate: " + yesNo(r.gate),
      "heuristic: " + yesNo(r.check),
      "judge: " + yesNo(r.judge), "ours: " + yesNo(r.ours), "paper: " + yesNo(r.paper)];
    if (r.awareness) facts.push("concluded: " + r.awareness);
    if (r.tokens !== null && r.tokens !== undefined) facts.push(r.tokens + " tokens");
    if (r.cut_off) facts.push("cut off");
    if (r.truncated) facts.push("truncated at the token limit");
    if (r.error) facts.push("error: " + r.error);
    if (r.reason) facts.push("unscored: " + r.reason);
    facts.push("log " + r.log);
    $("d-facts").textContent = facts.join(" · ");
    const prompt = data.prompts[r.condition_id] || { system: "", user: "" };
    $("d-system").textContent = prompt.system;
    $("d-user").textContent = prompt.user;
    const msgs = $("d-messages");
    msgs.replaceChildren();
    const legend = el("div", "legend");
    legend.appendChild(el("span", "seg-scratch", "scratchpad or native reasoning"));
    legend.appendChild(el("span", "seg-action", "action (what the check read)"));
    msgs.appendChild(legend);
    r.messages.forEach((m) => msgs.appendChild(messageNode(m)));
    if (!r.messages.length) msgs.appendChild(el("p", "muted", "No reply recorded."));
    const acts = $("d-actions");
    acts.replaceChildren();
    if (r.actions.length) {
      acts.appendChild(el("h4", null, "Actions read from the reply"));
      r.actions.forEach(function (a) {
        const parts = [a.kind];
        if (a.to && a.to.length) parts.push("to " + a.to.join(", "));
        if (a.email_ids && a.email_ids.length) parts.push("emails " + a.email_ids.join(", "));
        if (a.code) parts.push("code " + a.code);
        if (a.subject) parts.push("subject: " + a.subject);
        acts.appendChild(el("pre", "call action", parts.join(" · ") + (a.body ? "\n" + a.body : "")));
      });
    }
    const side = $("d-scores");
    side.replaceChildren();
    if (!r.scores.length) side.appendChild(el("p", "muted", "No scores."));
    r.scores.forEach((s) => side.appendChild(scoreCard(s)));
    renderList();
    $("tx-detail").scrollIntoView({ block: "nearest" });
  }

  $("d-close").addEventListener("click", function () {
    $("tx-detail").hidden = true;
    current = -1;
    renderList();
  });
  ["f-model", "f-condition", "f-verdict", "f-truncated"].forEach((id) => $(id).addEventListener("change", renderList));
  $("f-text").addEventListener("input", renderList);
  window.insiderbenchReport = { open: openRecord, records: records };
  renderList();
})();
