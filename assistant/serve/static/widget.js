/*
 * 民政政策问答 — intranet widget. One tag on any page:
 *   <script src="http://HOST:PORT/widget.js" data-title="民政政策问答" data-position="right"></script>
 * Talks to /api/ask/stream and /api/feedback on the script's own origin. Vanilla JS, no build step,
 * no external resources. Everything from the server is rendered as text (textContent /
 * createTextNode), never as HTML. The conversation is kept in localStorage and survives a reload.
 */
(function () {
  "use strict";
  if (window.__mzAssistantWidget) return;
  window.__mzAssistantWidget = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  })();
  if (!script) return;
  var BASE = new URL(".", script.src).href; // handles a path prefix behind a reverse proxy
  var API_ASK = new URL("api/ask/stream", BASE).href;
  var API_FEEDBACK = new URL("api/feedback", BASE).href;
  var API_HEALTH = new URL("api/health", BASE).href;
  var TITLE = script.getAttribute("data-title") || "民政政策问答";
  var POSITION = script.getAttribute("data-position") === "left" ? "left" : "right";
  var STORE_KEY = "mz-assistant:" + new URL(BASE).host;
  var MAX_KEPT = 40;
  var EXAMPLES = ["普陀2024年新增多少养老床位？", "宝山2022年新增几家社区老年助餐服务场所？"];

  var CSS = [
    ":host{all:initial;}",
    "*{box-sizing:border-box;}",
    ".root{position:fixed;bottom:24px;" + POSITION + ":24px;z-index:2147483000;",
    "  font-family:-apple-system,'PingFang SC','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',sans-serif;",
    "  font-size:14px;line-height:1.6;color:#1f2937;}",
    ".fab{display:flex;align-items:center;gap:8px;height:52px;padding:0 20px 0 16px;border:none;border-radius:26px;",
    "  background:linear-gradient(135deg,#b91c1c,#dc2626);color:#fff;font:inherit;font-size:15px;font-weight:600;",
    "  cursor:pointer;box-shadow:0 8px 24px rgba(185,28,28,.35);transition:transform .15s,box-shadow .15s;}",
    ".fab:hover{transform:translateY(-2px);box-shadow:0 12px 28px rgba(185,28,28,.45);}",
    ".fab:focus-visible,.btn:focus-visible,.send:focus-visible,.chip:focus-visible{outline:3px solid #fbbf24;outline-offset:2px;}",
    ".fab svg{width:22px;height:22px;}",
    ".panel{position:absolute;bottom:0;" + POSITION + ":0;width:400px;max-width:calc(100vw - 32px);",
    "  height:600px;max-height:calc(100vh - 48px);display:flex;flex-direction:column;background:#fff;",
    "  border-radius:16px;overflow:hidden;box-shadow:0 20px 50px rgba(15,23,42,.28),0 0 0 1px rgba(15,23,42,.06);}",
    ".panel[hidden],.fab[hidden]{display:none;}",
    ".root.full .panel{position:fixed;inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0;}",
    ".root.full{top:0;left:0;right:0;bottom:0;}",
    "@media (max-width:480px){.panel{position:fixed;inset:0;width:auto;max-width:none;height:auto;max-height:none;border-radius:0;}.btn.full{display:none;}}",
    ".head{display:flex;align-items:center;gap:10px;padding:14px 14px 14px 18px;color:#fff;",
    "  background:linear-gradient(135deg,#b91c1c,#dc2626);}",
    ".head .titles{flex:1;min-width:0;}",
    ".head .title{font-size:16px;font-weight:700;letter-spacing:.5px;}",
    ".head .sub{font-size:12px;opacity:.85;}",
    ".btn{border:none;background:rgba(255,255,255,.16);color:#fff;font:inherit;font-size:12px;border-radius:8px;",
    "  padding:5px 10px;cursor:pointer;white-space:nowrap;}",
    ".btn:hover{background:rgba(255,255,255,.28);}",
    ".btn.close{font-size:18px;line-height:1;padding:4px 9px;}",
    ".msgs{flex:1;overflow-y:auto;padding:16px;background:#f6f7f9;display:flex;flex-direction:column;gap:12px;",
    "  scrollbar-width:thin;scrollbar-color:#d1d5db transparent;}",
    ".msgs::-webkit-scrollbar{width:6px;}.msgs::-webkit-scrollbar-thumb{background:#d1d5db;border-radius:3px;}",
    ".row{display:flex;}",
    ".row.user{justify-content:flex-end;}",
    ".bubble{max-width:88%;padding:10px 13px;border-radius:14px;white-space:pre-wrap;word-break:break-word;}",
    ".user .bubble{background:#dc2626;color:#fff;border-bottom-right-radius:4px;}",
    ".bot .bubble{background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px;max-width:100%;width:100%;}",
    ".bot.refused .bubble{background:#fffbeb;border-color:#fde68a;}",
    ".understood{display:block;width:fit-content;font-size:12px;color:#4b5563;background:#f3f4f6;border-radius:10px;",
    "  padding:1px 8px;margin-bottom:4px;}",
    ".figure{display:block;font-size:22px;font-weight:700;color:#b91c1c;margin:2px 0 4px;}",
    ".answer{color:#111827;}",
    ".anote{font-size:12px;color:#92400e;background:#fffbeb;border-radius:8px;padding:3px 8px;margin-top:6px;}",
    ".sources{margin-top:10px;border-top:1px dashed #e5e7eb;padding-top:8px;display:flex;flex-direction:column;gap:8px;}",
    ".sources-label{font-size:12px;color:#6b7280;font-weight:600;}",
    ".src{background:#f9fafb;border:1px solid #eef0f3;border-left:3px solid #dc2626;border-radius:8px;padding:8px 10px;}",
    ".src .doc{font-weight:600;font-size:13px;color:#111827;}",
    ".src .sec{font-size:12px;color:#6b7280;margin:1px 0 4px;}",
    ".src .quote{font-size:13px;color:#374151;white-space:pre-wrap;overflow-wrap:anywhere;}",
    ".src mark{background:#fde68a;color:#7c2d12;font-weight:700;padding:0 2px;border-radius:3px;}",
    ".error{background:#fef2f2;border:1px solid #fecaca;color:#991b1b;font-size:13px;padding:8px 12px;border-radius:10px;",
    "  overflow-wrap:anywhere;}",
    ".hello{color:#4b5563;font-size:13px;}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;}",
    ".chip{border:1px solid #fca5a5;background:#fff;color:#b91c1c;border-radius:14px;padding:3px 10px;font:inherit;",
    "  font-size:12px;cursor:pointer;}",
    ".chip:hover{background:#fef2f2;}",
    ".loading{display:inline-flex;gap:4px;align-items:center;color:#6b7280;font-size:13px;}",
    ".dot{width:6px;height:6px;border-radius:50%;background:#dc2626;animation:mzb 1s infinite ease-in-out;}",
    ".dot:nth-child(2){animation-delay:.15s}.dot:nth-child(3){animation-delay:.3s}",
    "@keyframes mzb{0%,80%,100%{opacity:.25;transform:scale(.8)}40%{opacity:1;transform:scale(1)}}",
    ".foot{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb;background:#fff;align-items:flex-end;}",
    "textarea{flex:1;resize:none;border:1px solid #d1d5db;border-radius:10px;padding:8px 10px;font:inherit;",
    "  font-size:16px;line-height:1.5;color:#111827;height:44px;max-height:120px;outline:none;background:#fff;overflow-y:auto;}",
    "textarea:focus{border-color:#dc2626;box-shadow:0 0 0 3px rgba(220,38,38,.15);}",
    ".send{height:44px;padding:0 16px;border:none;border-radius:10px;background:#dc2626;color:#fff;font:inherit;",
    "  font-weight:600;cursor:pointer;}",
    ".send:disabled{background:#fca5a5;cursor:default;}",
    ".send.stop{background:#4b5563;}",
    ".partial{white-space:pre-wrap;color:#111827;}",
    ".tools{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px;align-items:center;}",
    ".tool{border:1px solid #e5e7eb;background:#fff;color:#4b5563;border-radius:8px;padding:2px 9px;font:inherit;",
    "  font-size:12px;cursor:pointer;}",
    ".tool:hover{background:#f3f4f6;}",
    ".tool[aria-pressed=true]{background:#fef2f2;border-color:#fca5a5;color:#b91c1c;font-weight:600;}",
    ".tool-note{font-size:12px;color:#6b7280;}",
    ".suggest{display:flex;flex-wrap:wrap;gap:6px;}",
    ".notice{background:#f3f4f6;border:1px solid #e5e7eb;color:#374151;font-size:13px;padding:8px 12px;border-radius:10px;}",
    ".note{font-size:11px;color:#9ca3af;text-align:center;padding:0 12px 8px;background:#fff;}"
  ].join("\n");

  // ------------------------------------------------------------ small DOM helpers (text only)
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }
  function icon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.4A8 8 0 1 1 21 12z");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }

  // ------------------------------------------------------------ conversation state (kept in localStorage)
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }
  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
      if (s && s.id && Array.isArray(s.items)) return s;
    } catch (e) { /* storage unavailable: keep the conversation in memory only */ }
    return { id: newId(), items: [], open: false, full: false };
  }
  var state = load();
  function save() {
    state.items = state.items.slice(-MAX_KEPT);
    try { localStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* ignore */ }
  }

  // ------------------------------------------------------------ build the widget
  var host = el("div");
  host.id = "mz-assistant-widget";
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style");
  style.textContent = CSS;
  shadow.appendChild(style);

  var root = el("div", "root");
  var fab = el("button", "fab");
  fab.type = "button";
  fab.setAttribute("aria-label", "打开" + TITLE);
  fab.appendChild(icon());
  fab.appendChild(el("span", null, TITLE));

  var panel = el("div", "panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", TITLE);
  panel.hidden = true;

  function headButton(cls, text, title) {
    var b = el("button", "btn" + (cls ? " " + cls : ""), text);
    b.type = "button";
    b.title = title;
    b.setAttribute("aria-label", title);
    return b;
  }
  var head = el("div", "head");
  var titles = el("div", "titles");
  titles.appendChild(el("div", "title", TITLE));
  titles.appendChild(el("div", "sub", "答案均引自政策文件原文"));
  var resetBtn = headButton("reset", "新对话", "清空对话，重新开始");
  var fullBtn = headButton("full", "全屏", "全屏显示");
  var closeBtn = headButton("close", "×", "关闭");
  head.appendChild(titles);
  head.appendChild(resetBtn);
  head.appendChild(fullBtn);
  head.appendChild(closeBtn);

  var msgs = el("div", "msgs");
  msgs.setAttribute("aria-live", "polite");

  var foot = el("div", "foot");
  var input = el("textarea");
  input.rows = 1;
  input.placeholder = "请输入问题，按 Enter 发送";
  input.setAttribute("aria-label", "问题");
  input.maxLength = 2000;
  var send = el("button", "send", "发送");
  send.type = "button";
  foot.appendChild(input);
  foot.appendChild(send);
  var note = el("div", "note", "Shift+Enter 换行 · 回答仅依据已收录的文件");

  panel.appendChild(head);
  panel.appendChild(msgs);
  panel.appendChild(foot);
  panel.appendChild(note);
  root.appendChild(fab);
  root.appendChild(panel);
  shadow.appendChild(root);

  // ------------------------------------------------------------ scrolling
  function scrollDown() { msgs.scrollTop = msgs.scrollHeight; }
  // The end of the conversation, but never so far that the question of the latest answer leaves the top.
  function showAnswer(row) {
    var prev = row.previousElementSibling;
    var q = prev && prev.classList.contains("user") ? prev : row;
    var top = q.getBoundingClientRect().top - msgs.getBoundingClientRect().top + msgs.scrollTop - 8;
    msgs.scrollTop = Math.min(msgs.scrollHeight - msgs.clientHeight, Math.max(0, top));
  }

  // ------------------------------------------------------------ plain text of an answer (for copying)
  function plainText(a) {
    var lines = [];
    if (a.understood_as) lines.push("理解为：" + a.understood_as);
    lines.push(a.text || "");
    var cits = Array.isArray(a.citations) ? a.citations : [];
    if (cits.length) {
      lines.push("", "来源：");
      cits.forEach(function (c, i) {
        lines.push("[" + (i + 1) + "]《" + (c.doc_title || "") + "》" + (c.section ? " " + c.section : ""));
        lines.push("“" + (c.text || "") + "”");
      });
    }
    return lines.join("\n");
  }
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) { // http intranet pages: the older way
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "fixed";
      ta.style.opacity = "0";
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      ta.remove();
      if (ok) resolve(); else reject(new Error("copy failed"));
    });
  }

  // ------------------------------------------------------------ rendering
  function renderQuote(text, highlight) {
    var q = el("div", "quote");
    var t = String(text || "");
    if (highlight && highlight.length === 2 && highlight[0] >= 0 && highlight[1] <= t.length &&
        highlight[0] < highlight[1]) {
      q.appendChild(document.createTextNode("“" + t.slice(0, highlight[0])));
      q.appendChild(el("mark", null, t.slice(highlight[0], highlight[1])));
      q.appendChild(document.createTextNode(t.slice(highlight[1]) + "”"));
    } else {
      q.textContent = "“" + t + "”";
    }
    return q;
  }

  function tool(cls, text, title) {
    var b = el("button", "tool " + cls, text);
    b.type = "button";
    b.title = title;
    return b;
  }

  function renderTools(item) {
    var a = item.answer;
    var box = el("div", "tools");
    var copy = tool("copy", "复制", "复制答案和来源（纯文本）");
    var up = tool("up", "有用", "这个回答有用");
    var down = tool("down", "没用", "这个回答没用或有错");
    var said = el("span", "tool-note");
    function pressed() {
      up.setAttribute("aria-pressed", item.rating === 1 ? "true" : "false");
      down.setAttribute("aria-pressed", item.rating === -1 ? "true" : "false");
    }
    pressed();
    copy.addEventListener("click", function () {
      copyText(plainText(a)).then(function () { said.textContent = "已复制"; },
        function () { said.textContent = "复制失败，请手动选择文字复制"; });
    });
    function rate(value) {
      var next = item.rating === value ? 0 : value; // clicking the chosen thumb again takes it back
      if (!a.answer_id) { said.textContent = "这条回答无法评价"; return; }
      fetch(API_FEEDBACK, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          answer_id: a.answer_id, rating: next, question: item.question || a.question || "",
          answer: a.text || "",
          citations: (a.citations || []).slice(0, 20).map(function (c) {
            return { doc_title: c.doc_title || "", section: c.section || "", text: c.text || "" };
          })
        })
      }).then(function (resp) {
        if (!resp.ok) throw new Error("HTTP " + resp.status);
        item.rating = next;
        save();
        pressed();
        said.textContent = next ? "谢谢反馈！" : "已撤销评价";
      }).catch(function () { said.textContent = "反馈没有发送成功，请稍后再试"; });
    }
    up.addEventListener("click", function () { rate(1); });
    down.addEventListener("click", function () { rate(-1); });
    box.appendChild(copy);
    box.appendChild(up);
    box.appendChild(down);
    box.appendChild(said);
    return box;
  }

  function renderAnswer(item) {
    var a = item.answer;
    var row = el("div", "row bot" + (a.refused ? " refused" : ""));
    var b = el("div", "bubble");
    if (a.understood_as) b.appendChild(el("div", "understood", "理解为：" + a.understood_as));
    if (!a.refused && a.as_written) b.appendChild(el("div", "figure", a.as_written));
    b.appendChild(el("div", "answer", a.text || ""));
    var notes = Array.isArray(a.visible_notes) ? a.visible_notes : (Array.isArray(a.notes) ? a.notes : []);
    notes.forEach(function (n) { b.appendChild(el("div", "anote", String(n))); });
    var cits = Array.isArray(a.citations) ? a.citations : [];
    if (cits.length) {
      var box = el("div", "sources");
      var label = a.refused ? "文件中相关的内容（并非直接答案）" : "来源";
      box.appendChild(el("div", "sources-label", cits.length > 1 ? label + "（" + cits.length + "处）" : label));
      cits.forEach(function (c) {
        var s = el("div", "src");
        s.appendChild(el("div", "doc", "《" + (c.doc_title || "") + "》"));
        if (c.section) s.appendChild(el("div", "sec", c.section));
        s.appendChild(renderQuote(c.text, c.highlight));
        box.appendChild(s);
      });
      b.appendChild(box);
    }
    b.appendChild(renderTools(item));
    row.appendChild(b);
    return row;
  }

  function renderSuggestions(list) {
    var row = el("div", "row bot suggestions");
    var box = el("div", "suggest");
    list.forEach(function (q) {
      var c = el("button", "chip", q);
      c.type = "button";
      c.addEventListener("click", function () { ask(q); });
      box.appendChild(c);
    });
    row.appendChild(box);
    return row;
  }

  function renderItem(item) {
    if (item.kind === "user") {
      var r = el("div", "row user");
      r.appendChild(el("div", "bubble", item.text));
      return r;
    }
    if (item.kind === "error") return el("div", "error", item.text);
    if (item.kind === "notice") return el("div", "notice", item.text);
    return renderAnswer(item);
  }

  function renderHello() {
    var box = el("div", "row bot");
    var b = el("div", "bubble");
    b.appendChild(el("div", "hello", "您好！我可以回答民政政策文件里的问题，并给出原文出处。试试："));
    var chips = el("div", "chips");
    EXAMPLES.forEach(function (ex) {
      var c = el("button", "chip", ex);
      c.type = "button";
      c.addEventListener("click", function () { ask(ex); });
      chips.appendChild(c);
    });
    b.appendChild(chips);
    box.appendChild(b);
    return box;
  }

  function lastSuggestions() {
    var last = state.items[state.items.length - 1];
    var list = last && last.kind === "answer" && last.answer.suggestions;
    return Array.isArray(list) && list.length ? list.slice(0, 3) : null;
  }

  function renderAll() {
    while (msgs.firstChild) msgs.removeChild(msgs.firstChild);
    msgs.appendChild(renderHello());
    state.items.forEach(function (it) { msgs.appendChild(renderItem(it)); });
    var s = lastSuggestions();
    if (s) msgs.appendChild(renderSuggestions(s));
    if (blockedNotice) msgs.appendChild(el("div", "notice", blockedNotice));
    scrollDown();
  }

  function push(item) {
    state.items.push(item);
    save();
    var old = msgs.querySelector(".row.suggestions");
    if (old) old.remove();
    var node = renderItem(item);
    msgs.appendChild(node);
    return node;
  }

  // ------------------------------------------------------------ talking to the server
  var busy = null; // the AbortController of the answer being streamed
  var blockedNotice = null;
  var VISITOR_BLOCKED = "本页面暂未开通政策问答服务，请稍后再试或联系网站管理员。";
  var unreachable = "暂时连不上问答服务，请稍后重试；如一直如此，请联系网站管理员。";

  function errorFrom(resp, body) {
    if (body && body.error && body.error.message) return body.error.message;
    return "问答服务出错（HTTP " + resp.status + "）：请稍后重试或联系管理员。";
  }

  function blocked(adminMessage) {
    // Visitors get a short notice; the page's developer finds the setting to change in the console.
    if (window.console && console.warn) console.warn("[民政政策问答] " + adminMessage);
    blockedNotice = VISITOR_BLOCKED;
    input.disabled = true;
    send.disabled = true;
    input.placeholder = "本页面暂未开通问答服务";
    if (!msgs.querySelector(".notice")) msgs.appendChild(el("div", "notice", VISITOR_BLOCKED));
    scrollDown();
  }

  function setBusy(controller) {
    busy = controller;
    send.textContent = controller ? "停止" : "发送";
    send.classList.toggle("stop", !!controller);
    send.title = controller ? "停止回答" : "发送问题";
  }

  function waiting() {
    var loading = el("div", "row bot");
    var lb = el("div", "bubble");
    var dots = el("div", "loading");
    dots.appendChild(el("span", "dot"));
    dots.appendChild(el("span", "dot"));
    dots.appendChild(el("span", "dot"));
    var label = el("span", null, " 正在查找文件…");
    dots.appendChild(label);
    lb.appendChild(dots);
    var text = el("div", "answer-text partial");
    lb.appendChild(text);
    loading.appendChild(lb);
    loading.setAttribute("data-loading", "1");
    return { row: loading, dots: dots, label: label, text: text };
  }

  // Reads `data: {...}` events from a fetch response body, calling onEvent for each.
  function readEvents(resp, onEvent) {
    var reader = resp.body.getReader();
    var decoder = new TextDecoder("utf-8");
    var buffer = "";
    function pump() {
      return reader.read().then(function (r) {
        buffer += decoder.decode(r.value || new Uint8Array(), { stream: !r.done });
        var parts = buffer.split("\n\n");
        buffer = r.done ? "" : parts.pop();
        parts.forEach(function (p) {
          var line = p.split("\n").filter(function (l) { return l.indexOf("data: ") === 0; })[0];
          if (line) onEvent(JSON.parse(line.slice(6)));
        });
        if (!r.done) return pump();
      });
    }
    return pump();
  }

  function ask(question) {
    question = String(question || "").trim();
    if (!question || busy || blockedNotice) return;
    input.value = "";
    push({ kind: "user", text: question });
    var controller = window.AbortController ? new AbortController() : null;
    setBusy(controller || {});
    var w = waiting();
    msgs.appendChild(w.row);
    scrollDown();
    var answer = null;
    var failure = null;

    fetch(API_ASK, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ question: question, conversation_id: state.id }),
      signal: controller ? controller.signal : undefined
    }).then(function (resp) {
      if (!resp.ok) {
        return resp.json().catch(function () { return null; }).then(function (body) {
          throw new Error(errorFrom(resp, body));
        });
      }
      return readEvents(resp, function (ev) {
        if (ev.type === "status") {  // an LLM is working: say so while no text has come
          w.label.textContent = " " + ev.text;
        } else if (ev.type === "delta") {
          w.dots.hidden = true;
          w.text.textContent += ev.text;
          showAnswer(w.row);
        } else if (ev.type === "answer") {
          answer = ev.answer;
        } else if (ev.type === "error") {
          failure = (ev.error && ev.error.message) || unreachable;
        }
      });
    }, function (err) {
      if (err && err.name === "AbortError") throw err;
      throw new Error(unreachable);
    }).then(function () {
      w.row.remove();
      if (answer && typeof answer.text === "string") {
        var node = push({ kind: "answer", question: question, answer: answer, rating: 0 });
        var s = lastSuggestions();
        if (s) msgs.appendChild(renderSuggestions(s));
        showAnswer(node);
      } else {
        push({ kind: "error", text: failure || "问答服务返回了无法识别的内容：请联系管理员。" });
        scrollDown();
      }
    }).catch(function (err) {
      var partial = w.text.textContent;
      w.row.remove();
      if (err && err.name === "AbortError") {
        push({ kind: "notice", text: partial ? "已停止回答。已收到的部分：" + partial : "已停止回答。" });
      } else {
        push({ kind: "error", text: (err && err.message) || unreachable });
      }
      scrollDown();
    }).then(function () {
      setBusy(null);
      input.focus();
    });
  }

  function checkServer() {
    fetch(API_HEALTH).then(function (resp) {
      if (resp.ok) return;
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (resp.status === 403 && body && body.error && body.error.type === "origin_not_allowed") {
          blocked(body.error.message);
          return;
        }
        msgs.appendChild(el("div", "error", errorFrom(resp, body)));
        scrollDown();
      });
    }, function () {
      if (window.console && console.warn) {
        console.warn("[民政政策问答] 无法连接 " + BASE + "：请确认服务已启动、网络可达；若服务正常，可能是本网页地址" +
          "（" + location.origin + "）未被允许，请在服务器上设置 ASSISTANT_ALLOWED_ORIGINS。");
      }
      msgs.appendChild(el("div", "error", unreachable));
      scrollDown();
    });
  }

  // ------------------------------------------------------------ events
  var checked = false;
  function setFull(on) {
    state.full = !!on;
    root.classList.toggle("full", state.full);
    fullBtn.textContent = state.full ? "还原" : "全屏";
    fullBtn.title = state.full ? "退出全屏" : "全屏显示";
    fullBtn.setAttribute("aria-label", fullBtn.title);
  }
  function open() {
    panel.hidden = false;
    fab.hidden = true;
    state.open = true;
    save();
    scrollDown();
    input.focus();
    if (!checked) { checked = true; checkServer(); }
  }
  function close() {
    panel.hidden = true;
    fab.hidden = false;
    state.open = false;
    setFull(false);
    save();
    fab.focus();
  }

  fab.addEventListener("click", open);
  closeBtn.addEventListener("click", close);
  fullBtn.addEventListener("click", function () { setFull(!state.full); save(); });
  resetBtn.addEventListener("click", function () {
    if (busy && busy.abort) busy.abort();
    state = { id: newId(), items: [], open: true, full: state.full };
    save();
    renderAll();
    input.focus();
  });
  send.addEventListener("click", function () {
    if (busy) { if (busy.abort) busy.abort(); return; }
    ask(input.value);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      ask(input.value);
    }
  });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { if (state.full) setFull(false); else close(); }
  });

  function mount() {
    document.body.appendChild(host);
    setFull(state.full);
    renderAll();
    if (state.open) open();
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
