/*
 * 民政政策问答 — small additions to the Gradio page (loaded in <head>).
 * 1. Copying a chat message (Gradio's copy and copy-all buttons) gives plain text, not the HTML the
 *    messages are made of: an answer copies as its text plus its sources (the .mz-copy block each
 *    answer carries), other HTML as its visible text.
 * 2. mzShowLatest(): after an answer, scroll to the end of the chat, but never so far that the
 *    latest question leaves the top (a long answer is read from its start); also after a reload.
 * 3. Labels and toast headers Gradio writes in English are shown in Chinese.
 */
(function () {
  "use strict";
  if (window.__mzChatPage) return;
  window.__mzChatPage = true;

  var BLOCKS = "p,div,li,tr,h1,h2,h3,h4,h5,h6,blockquote,pre";
  var FOLD_TITLE = /^(来源|文件中相关的内容（并非直接答案）) · \d+ 处$/;  // the folded sources' title
  // Labels Gradio writes in English without a translation key.
  var LABELS = { "Copy conversation": "复制整段对话（纯文本）", "Copied conversation": "已复制整段对话",
    "Liked": "已评为有用（再点撤销）", "Disliked": "已评为没用（再点撤销）", "More tabs": "更多标签页",
    "Close": "关闭", "chatbot conversation": "对话记录", "Textbox": "输入框" };
  // Toast headers Gradio writes in English whatever title it is given: Info (2) → 提示 (2).
  var TOASTS = { Info: "提示", Warning: "提示", Error: "出错了", Success: "完成" };

  function visibleText(node) {
    node.querySelectorAll("br").forEach(function (br) { br.replaceWith("\n"); });
    node.querySelectorAll(BLOCKS).forEach(function (b) { b.append("\n"); });
    return node.textContent;
  }

  // Plain text for what Gradio is about to copy; null when it is not one of our HTML messages.
  function plainText(text) {
    if (typeof text !== "string" || text.indexOf('class="mz-') < 0) return null;
    var doc = new DOMParser().parseFromString(text, "text/html");
    var answers = doc.body.querySelectorAll(".mz-msg");
    answers.forEach(function (msg) {
      var copy = msg.querySelector(".mz-copy");
      msg.replaceWith(doc.createTextNode("\n" + (copy ? copy.textContent : visibleText(msg)) + "\n"));
    });
    if (answers.length) {  // the answer's copy already holds its sources
      doc.body.querySelectorAll(".mz-sources").forEach(function (s) { s.remove(); });
    }
    var text = visibleText(doc.body);
    if (answers.length) text = text.split("\n").filter(function (l) { return !FOLD_TITLE.test(l.trim()); }).join("\n");
    text = text.replace(/[ \t]+\n/g, "\n");
    if (/^(user|assistant):/m.test(text)) {  // the whole conversation: 问/答 blocks, empty ones dropped
      text = text.split(/\n(?=(?:user|assistant):)/).map(function (block) {
        var m = /^(user|assistant):\s*([\s\S]*)$/.exec(block.trim());
        if (!m) return block.trim();
        return m[2].trim() ? (m[1] === "user" ? "问：" : "答：") + m[2].trim() : "";
      }).filter(Boolean).join("\n\n");
    }
    return text.replace(/\n{3,}/g, "\n\n").trim();
  }
  window.mzPlainText = plainText;

  if (navigator.clipboard && navigator.clipboard.writeText) {
    var write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = function (text) {
      var plain = plainText(text);
      return write(plain === null ? text : plain);
    };
  }

  function relabel(root) {
    root.querySelectorAll(".toast-title, [data-testid=toast-title]").forEach(function (n) {
      var m = /^(Info|Warning|Error|Success)(.*)$/.exec((n.textContent || "").trim());
      if (m) n.textContent = TOASTS[m[1]] + m[2];
    });
    root.querySelectorAll("[aria-label], [title]").forEach(function (n) {
      ["aria-label", "title"].forEach(function (a) {
        var v = n.getAttribute(a);
        if (v && LABELS[v]) n.setAttribute(a, LABELS[v]);
      });
    });
  }
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "attributes") relabel(r.target.parentElement || r.target);
      r.addedNodes.forEach(function (n) { if (n.querySelectorAll) relabel(n); });
    });
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true,
    attributeFilter: ["aria-label", "title"] });

  window.mzShowLatest = function () {
    var tries = 0;
    function go() {
      var chat = document.querySelector("#mz-chat");
      var log = chat && chat.querySelector("[role=log]");
      var box = log && (log.closest(".bubble-wrap") || log.parentElement);
      while (box && box !== chat && box.scrollHeight <= box.clientHeight) box = box.parentElement;
      if (!box || box === chat.parentElement) return;
      var users = chat.querySelectorAll(".message-row.user-row, .user-row, [data-testid=user]");
      var last = users[users.length - 1];
      var end = box.scrollHeight - box.clientHeight;
      // 44 px: the latest question sits below the chat's floating clear / copy-all buttons
      var top = last ? last.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop - 44 : end;
      box.scrollTop = Math.max(0, Math.min(end, top));
      if (++tries < 4) setTimeout(go, 120);  // the sources fold open a moment after the answer renders
    }
    requestAnimationFrame(go);
    return [];
  };
})();
