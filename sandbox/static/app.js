// The sandbox page: each panel shows one user's private chat with the bot, polled every 500 ms.
// Message HTML comes from the server already sanitized (sandbox/render.py, sandbox/zalo_panel.py).
// The Zalo panel (data-channel="zalo") is the same phone with Zalo's ways: buttons post a payload,
// a follow button until the user follows, and no pop-up answers.
"use strict";

(function () {
  const POLL_MS = 500;
  const POST_HEADERS = { "X-Sandbox": "1" };
  const BOT_LINK = /^https:\/\/t\.me\/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]+)$/;
  const panels = [];
  const VIOLATION_LABELS = {
    telegram: "Vi phạm hợp đồng Bot API (contract violation): ",
    zalo: "Vi phạm hợp đồng Zalo OA API (contract violation): ",
  };
  const violationsShown = { telegram: 0, zalo: 0 };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function post(url, body, json) {
    const options = { method: "POST", headers: Object.assign({}, POST_HEADERS), body: body };
    if (json) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(url, options);
    const answer = await response.json().catch(function () { return { ok: false, error: response.statusText }; });
    if (!response.ok || !answer.ok) throw new Error(answer.error || response.statusText);
    return answer;
  }

  class Panel {
    constructor(root) {
      this.root = root;
      this.api = root.dataset.api || "/api/chats/";
      this.channel = root.dataset.channel || "telegram";
      this.select = root.querySelector("[data-testid=user-select]");
      this.list = root.querySelector("[data-testid=messages]");
      this.input = root.querySelector("[data-testid=text-input]");
      this.fileInputs = root.querySelectorAll("input[type=file]");
      this.toast = root.querySelector(".toast");
      this.form = root.querySelector("form.composer");
      this.error = el("div", "error-note");
      this.form.after(this.error);
      this.reset();
      this.select.addEventListener("change", () => { this.reset(); this.refresh(); });
      this.form.addEventListener("submit", (event) => { event.preventDefault(); this.sendText(); });
      this.fileInputs.forEach((input) => input.addEventListener("change", () => this.sendFiles(input)));
      root.querySelectorAll(".shortcut").forEach((button) => {
        button.addEventListener("click", () => this.send(button.dataset.command));
      });
      this.list.addEventListener("click", (event) => {
        const spoiler = event.target.closest(".tg-spoiler");
        if (spoiler) spoiler.classList.toggle("revealed");
      });
    }

    get chatId() { return this.select.value; }

    reset() {
      this.generation = (this.generation || 0) + 1;
      this.rendered = new Map(); // message id -> {rev, node}
      this.answersSeen = null;
      this.requested = this.applied = 0;
      this.list.replaceChildren();
      this.showError("");
    }

    showError(text) { this.error.textContent = text; }

    async refresh() {
      const generation = this.generation;
      const sequence = this.requested = (this.requested || 0) + 1;
      const response = await fetch(this.api + this.chatId, { cache: "no-store" });
      if (!response.ok) throw new Error("GET " + this.api + ": " + response.status);
      const chat = await response.json();
      // An answer overtaken by a later one (or for the user shown before) is dropped.
      if (generation === this.generation && sequence > (this.applied || 0)) {
        this.applied = sequence;
        this.apply(chat);
      }
      return chat;
    }

    apply(chat) {
      const list = this.list;
      const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
      let previous = null;
      let added = false;
      const present = new Set();
      for (const message of chat.messages) {
        present.add(message.id);
        const known = this.rendered.get(message.id);
        let node = known ? known.node : null;
        if (!known || known.rev !== message.rev) {
          const fresh = this.build(message);
          if (node) node.replaceWith(fresh);
          else if (previous) previous.after(fresh);
          else list.prepend(fresh);
          node = fresh;
          this.rendered.set(message.id, { rev: message.rev, node: fresh });
          added = added || !known;
        }
        previous = node;
      }
      for (const [id, entry] of this.rendered) {
        if (!present.has(id)) { entry.node.remove(); this.rendered.delete(id); }
      }
      if (added && (atBottom || this.stickToBottom)) {
        list.scrollTop = list.scrollHeight;
        this.stickToBottom = false;
      }
      this.showAnswers(chat.answers || []);
    }

    build(message) {
      const side = message.from === "bot" || message.from === "system" ? message.from : "user";
      const node = el("div", "message " + side);
      node.dataset.messageId = message.id;
      if (message.kind) node.classList.add("kind-" + message.kind);
      if (message.media_group_id) node.classList.add("album");
      if (message.photo) {
        const img = el("img");
        img.src = message.photo;
        img.alt = message.from === "bot" ? "Ảnh của bot" : "Ảnh đã gửi";
        img.addEventListener("load", () => { // keep the newest message in view once the image has its height
          const list = this.list;
          if (list.scrollHeight - list.scrollTop - list.clientHeight < img.clientHeight + 120) list.scrollTop = list.scrollHeight;
        }, { once: true });
        node.append(img);
      }
      if (message.document) {
        const link = el("a", "document", message.document.name);
        link.href = message.document.url;
        link.target = "_blank";
        link.rel = "noopener";
        if (message.document.mime_type) link.title = message.document.mime_type;
        node.append(link);
      }
      if (message.html) {
        const text = el("div", "text");
        text.innerHTML = message.html; // sanitized by the server
        node.append(text);
      }
      if (message.buttons.length) {
        const keyboard = el("div", "keyboard");
        for (const row of message.buttons) {
          const line = el("div", "kb-row");
          for (const button of row) line.append(this.button(message, button));
          keyboard.append(line);
        }
        node.append(keyboard);
      }
      if (message.edited) node.append(el("span", "meta", "đã sửa"));
      return node;
    }

    button(message, button) {
      const node = el("button", "inline-button", button.text);
      node.type = "button";
      if (button.callback_data !== undefined) {
        node.dataset.callbackData = button.callback_data;
        node.addEventListener("click", () => this.press(message.id, button.callback_data));
      } else if (button.url) {
        node.classList.add("url");
        node.title = button.url;
        node.addEventListener("click", () => {
          const start = BOT_LINK.exec(button.url);
          if (start) this.send("/start " + start[1]); // a link to this bot opens it with the payload
          else window.open(button.url, "_blank", "noopener");
        });
      }
      return node;
    }

    showAnswers(answers) {
      if (this.answersSeen === null) { this.answersSeen = answers.length; return; }
      const fresh = answers.slice(this.answersSeen).filter((a) => a.text);
      this.answersSeen = answers.length;
      if (!fresh.length) return;
      const last = fresh[fresh.length - 1];
      this.toast.textContent = last.text;
      this.toast.classList.toggle("alert", last.show_alert);
      this.toast.hidden = false;
      clearTimeout(this.toastTimer);
      this.toastTimer = setTimeout(() => { this.toast.hidden = true; }, last.show_alert ? 6000 : 2500);
    }

    async act(work) {
      this.showError("");
      try {
        await work();
        this.stickToBottom = true;
        await this.refresh();
      } catch (error) {
        this.showError(String(error.message || error));
      }
    }

    send(text) {
      return this.act(() => post(this.api + this.chatId + "/text", { text: text }, true));
    }

    sendText() {
      const text = this.input.value;
      if (!text.trim()) return;
      this.input.value = "";
      this.send(text);
    }

    press(messageId, callbackData) {
      return this.act(() => post("/api/chats/" + this.chatId + "/press",
        { message_id: messageId, callback_data: callbackData }, true));
    }

    sendFiles(input) {
      const files = Array.from(input.files || []);
      if (!files.length) return;
      const form = new FormData();
      files.forEach((file, i) => form.append("file" + i, file, file.name));
      if (this.input.value.trim()) { // as in Telegram, the typed text becomes the caption
        form.append("caption", this.input.value);
        this.input.value = "";
      }
      input.value = "";
      return this.act(() => post(this.api + this.chatId + "/files", form, false));
    }
  }

  // Zalo: a button posts its payload (as a tap does on Zalo); link buttons open; phone and SMS
  // buttons cannot work here. Until the user follows the OA, a bar offers to follow it.
  class ZaloPanel extends Panel {
    constructor(root) {
      super(root);
      this.followBar = root.querySelector("[data-testid=follow-bar]");
      root.querySelector("[data-testid=follow]").addEventListener("click", () => {
        this.act(() => post(this.api + this.chatId + "/follow", {}, true));
      });
    }

    apply(chat) {
      super.apply(chat);
      this.followBar.hidden = chat.following;
    }

    button(message, button) {
      const node = el("button", "inline-button", button.text);
      node.type = "button";
      if (button.payload !== undefined) {
        node.dataset.payload = button.payload;
        node.addEventListener("click", () => this.act(() => post(this.api + this.chatId + "/tap",
          { payload: button.payload }, true)));
      } else if (button.url) {
        node.classList.add("url");
        node.title = button.url;
        node.addEventListener("click", () => window.open(button.url, "_blank", "noopener"));
      } else {
        node.disabled = true;
        node.title = String(button.disabled || "") + " (không dùng được trong bản thử)";
      }
      return node;
    }
  }

  function showStatus(chat) {
    const status = document.querySelector("[data-testid=bot-status]");
    const bot = chat.bot || {};
    status.textContent = bot.running === false
      ? "Bot đã dừng (the bot stopped)" + (bot.log ? " — nhật ký: " + bot.log : "")
      : "Bot đang chạy (the bot is running)";
    status.classList.toggle("down", bot.running === false);
  }

  // Each chat answer lists every violation of its channel's fake so far; new ones are appended.
  function showViolations(channel, chat) {
    const box = document.querySelector("[data-testid=violations]");
    const violations = chat.violations || [];
    for (const text of violations.slice(violationsShown[channel])) {
      box.append(el("div", "violation " + channel, VIOLATION_LABELS[channel] + text));
    }
    violationsShown[channel] = Math.max(violationsShown[channel], violations.length);
    box.hidden = violationsShown.telegram + violationsShown.zalo === 0;
  }

  async function poll() {
    try {
      const chats = await Promise.all(panels.map((panel) => panel.refresh().catch(() => null)));
      const first = chats.find((chat) => chat);
      if (first) showStatus(first);
      for (const channel of Object.keys(violationsShown)) {
        const index = chats.findIndex((chat, i) => chat && panels[i].channel === channel);
        if (index >= 0) showViolations(channel, chats[index]);
      }
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".panel").forEach((root) => {
      panels.push(root.dataset.channel === "zalo" ? new ZaloPanel(root) : new Panel(root));
    });
    poll();
  });
})();
