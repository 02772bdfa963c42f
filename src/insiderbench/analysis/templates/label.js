"use strict";
// The labelling page. Model text only ever reaches the page through textContent (never
// innerHTML), so markup inside a reply is shown as text and never runs.
(function () {
  const $ = (id) => document.getElementById(id);
  const history = [];  // keys shown, in order
  let at = -1;         // index into history of the sample shown
  let current = null;  // its record
  let queue = Promise.resolve();

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function call(path, body) {
    const opts = body === undefined ? {} : {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
    const resp = await fetch(path, opts);
    const data = await resp.json();
    if (!resp.ok) throw new Error(data.error || resp.statusText);
    return data;
  }

  function yesNo(v) { return v === true ? "harmful" : v === false ? "not harmful" : "-"; }

  function showState(state) {
    $("who").textContent = "as " + state.labeller + " · rule " + state.rule + " · " +
      state.labelled + " labelled of " + state.samples + " · " + state.labels_file;
    const body = $("strata").querySelector("tbody");
    body.replaceChildren();
    state.strata.forEach(function (s) {
      const tr = el("tr");
      [s.stratum, s.in_run, Math.round(100 * s.share) + "%", s.labelled,
       s.weight === null ? "-" : s.weight].forEach((v) => tr.appendChild(el("td", null, v)));
      body.appendChild(tr);
    });
  }

  function messageNode(m) {
    const box = el("div", "msg");
    box.appendChild(el("div", "role", m.role + (m.fn ? " (" + m.fn + ")" : "")));
    const pre = el("pre");
    m.parts.forEach((p) => pre.appendChild(el("span", "seg-" + p.k, p.t)));
    box.appendChild(pre);
    (m.calls || []).forEach(function (c) {
      box.appendChild(el("pre", "call" + (c.action ? " action" : ""), c.fn + " " + c.args));
    });
    return box;
  }

  function showRecord(r) {
    current = r;
    $("sample").hidden = false;
    $("done").hidden = true;
    $("cond").textContent = r.condition_words;
    $("ids").textContent = r.condition_id + " · epoch " + r.epoch + " · " + r.model +
      " · stratum " + (r.stratum || "-");
    $("system").textContent = r.system;
    $("emails").textContent = r.emails;
    const msgs = $("messages");
    msgs.replaceChildren();
    r.messages.forEach((m) => msgs.appendChild(messageNode(m)));
    const mine = $("mine");
    mine.className = "mine" + (r.label ? " " + r.label.label : "");
    mine.textContent = r.label ? "Your label: " + r.label.label.replace("_", " ") +
      (r.label.note ? " (" + r.label.note + ")" : "") : "Not labelled yet.";
    $("note").value = r.label ? r.label.note : "";
    const v = $("verdicts");
    v.replaceChildren();
    if (r.verdicts) {
      v.appendChild(el("h3", null, "Classifiers"));
      ["gate", "check", "judge", "ours", "paper"].forEach(function (k) {
        v.appendChild(el("div", "verdict", (k === "check" ? "heuristic" : k) + ": " +
          yesNo(r.verdicts[k])));
      });
      v.appendChild(el("div", "verdict", "rule " + r.verdicts.rule + ": " + r.verdicts.verdict));
    } else {
      v.appendChild(el("p", "muted", "Verdicts are hidden until you label (blind labelling)."));
    }
    window.scrollTo(0, 0);
  }

  async function next() {
    if (at + 1 < history.length) { return go(at + 1); }
    const data = await call("/api/next");
    showState(data.state);
    if (data.done) { $("sample").hidden = true; $("done").hidden = false; current = null; return; }
    history.push(data.record.key);
    at = history.length - 1;
    showRecord(data.record);
  }

  async function go(i) {
    if (i < 0 || i >= history.length) return;
    const data = await call("/api/sample", {key: history[i]});
    at = i;
    showState(data.state);
    showRecord(data.record);
  }

  async function label(value) {
    if (!current) return;
    const data = await call("/api/label", {key: current.key, label: value,
                                           note: $("note").value});
    showState(data.state);
    $("status").textContent = "Saved: " + value.replace("_", " ") +
      " (back shows the classifiers' verdicts)";
    await next();
  }

  async function skip() {
    if (!current) return;
    await call("/api/label", {key: current.key, action: "skip"});
    $("status").textContent = "Skipped";
    history.splice(at, 1);
    at -= 1;
    await next();
  }

  // Keys pressed while the server answers wait their turn: none is lost, none overtakes.
  function guarded(fn) {
    return function () {
      queue = queue.then(fn).catch(function (err) {
        $("status").textContent = "Error: " + err.message;
      });
    };
  }

  const keys = {
    y: () => label("harmful"), n: () => label("not_harmful"), u: () => label("unsure"),
    s: skip, b: () => go(at - 1), ArrowLeft: () => go(at - 1),
    f: next, ArrowRight: next,
  };
  document.addEventListener("keydown", function (ev) {
    if (ev.target === $("note")) {
      if (ev.key === "Escape") $("note").blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "e") { ev.preventDefault(); $("note").focus(); return; }
    const action = keys[ev.key];
    if (action) { ev.preventDefault(); guarded(action)(); }
  });
  $("b-y").addEventListener("click", guarded(() => label("harmful")));
  $("b-n").addEventListener("click", guarded(() => label("not_harmful")));
  $("b-u").addEventListener("click", guarded(() => label("unsure")));
  $("b-s").addEventListener("click", guarded(skip));
  $("b-back").addEventListener("click", guarded(() => go(at - 1)));
  $("b-fwd").addEventListener("click", guarded(next));
  guarded(next)();
})();
