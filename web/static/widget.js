// The Modica helpdesk chat widget. Drop it into any page with one tag:
//   <script src="https://helpdesk.example.com/widget.js" data-socket-url="https://bot.example.com"
//           data-support="ring 0800 77 66 22 or email support@example.com" defer></script>
// It talks to Rasa's socket.io channel. Everything shown is inserted as text (never as HTML); the
// conversation (session id, messages, anything not yet sent) is kept in localStorage, so it survives
// a page reload, a lost connection and a server restart. Under each of the bot's answers the customer can
// vote 👍/👎 once; the vote goes to Rasa as /feedback_positive or /feedback_negative (see "votes" below).
// While the customer has an escalation, a line under the header says where it stands (see "the case line").
(function () {
  "use strict";

  var script = document.currentScript;
  var base = new URL(script.src, location.href);
  var socketUrl = script.getAttribute("data-socket-url") || base.protocol + "//" + base.hostname + ":5005";
  var title = script.getAttribute("data-title") || "Helpdesk";
  var support = script.getAttribute("data-support") || ""; // e.g. "ring 0800 77 66 22 or email help@example.com"
  var STORE_KEY = "modica-helpdesk:" + socketUrl;
  var MAX_KEPT = 200; // messages kept for the history after a reload
  var MAX_LENGTH = 2000; // characters in one message
  var TYPING_TIMEOUT_MS = 20000;
  var ACK_TIMEOUT_MS = 30000; // a message the server has not acknowledged by then is sent again (well inside the
  // server's 60 s conversation lock, so the copy waits for the first rather than running beside it)
  var UNSENT_NOTE = "Not sent yet – it will go when the connection is back.";

  // ---- what is kept in the browser -------------------------------------------------------------
  function load() {
    try {
      var kept = JSON.parse(localStorage.getItem(STORE_KEY) || "{}");
      return { sessionId: kept.sessionId || null, sessionToken: kept.sessionToken || null,
               messages: kept.messages || [], open: !!kept.open, sent: kept.sent || 0, kase: kept.kase || null };
    } catch (e) {
      return { sessionId: null, sessionToken: null, messages: [], open: false, sent: 0, kase: null };
    }
  }
  var state = load();

  function save() {
    // Old messages go, but never one that is still to be sent.
    var excess = state.messages.length - MAX_KEPT;
    state.messages = state.messages.filter(function (m, i) { return i >= excess || m.unsent; });
    try {
      localStorage.setItem(STORE_KEY, JSON.stringify(state, function (key, value) {
        return key === "node" || key === "votes" ? undefined : value; // the message's elements are not kept
      }));
    } catch (e) { /* storage full or blocked: the chat still works for this page */ }
  }

  // ---- DOM helpers (text only) ------------------------------------------------------------------
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var LINK = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\*\*[^*]+\*\*)/g;

  // One line of a message: **bold**, web links and email addresses become elements, the rest text.
  function inline(parent, line) {
    var last = 0;
    line.replace(LINK, function (match, _group, offset) {
      parent.appendChild(document.createTextNode(line.slice(last, offset)));
      if (match.indexOf("**") === 0) {
        parent.appendChild(el("strong", "", match.slice(2, -2)));
      } else {
        var link = el("a", "", match);
        link.href = match.indexOf("@") > 0 && match.indexOf("://") < 0 ? "mailto:" + match : match;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        parent.appendChild(link);
      }
      last = offset + match.length;
      return match;
    });
    parent.appendChild(document.createTextNode(line.slice(last)));
  }

  // A message's text as paragraphs and bulleted lists ("- item", "* item", "• item").
  function rich(text) {
    var box = el("div", "mhd-text");
    var list = null;
    String(text).split("\n").forEach(function (line) {
      var item = /^\s*(?:[-*•]|\d+\.)\s+(.*)$/.exec(line);
      if (item) {
        if (!list) list = box.appendChild(el("ul"));
        inline(list.appendChild(el("li")), item[1]);
        return;
      }
      list = null;
      if (line.trim()) inline(box.appendChild(el("p")), line);
    });
    return box;
  }

  // ---- the widget ---------------------------------------------------------------------------------
  var root, launcher, panel, log, statusLine, caseLine, typing, form, input;

  function build() {
    var css = el("link");
    css.rel = "stylesheet";
    css.href = new URL("widget.css", base).href;
    document.head.appendChild(css);

    root = el("div", "mhd-root");
    launcher = el("button", "mhd-launcher", "Chat with us");
    launcher.type = "button";
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "mhd-panel");

    panel = el("section", "mhd-panel");
    panel.id = "mhd-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title + " chat");
    panel.hidden = true;

    var header = el("header", "mhd-header");
    header.appendChild(el("h2", "mhd-title", title));
    var close = el("button", "mhd-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    header.appendChild(close);

    statusLine = el("p", "mhd-status");
    statusLine.setAttribute("role", "status");
    statusLine.hidden = true;

    caseLine = el("p", "mhd-case");
    caseLine.setAttribute("role", "status");
    caseLine.hidden = true;

    log = el("ol", "mhd-log");
    log.setAttribute("role", "log");
    log.setAttribute("aria-live", "polite");
    log.setAttribute("aria-label", "Conversation");
    log.tabIndex = 0;

    typing = el("p", "mhd-typing", title + " is typing…");
    typing.hidden = true;

    form = el("form", "mhd-form");
    var label = el("label", "mhd-visually-hidden", "Your message");
    label.htmlFor = "mhd-input";
    input = el("textarea", "mhd-input");
    input.id = "mhd-input";
    input.rows = 2;
    input.maxLength = MAX_LENGTH;
    input.placeholder = "Ask about the migrations…";
    var send = el("button", "mhd-send", "Send");
    send.type = "submit";
    form.appendChild(label);
    form.appendChild(input);
    form.appendChild(send);

    panel.appendChild(header);
    panel.appendChild(statusLine);
    panel.appendChild(caseLine);
    panel.appendChild(log);
    panel.appendChild(typing);
    panel.appendChild(form);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(root);

    launcher.addEventListener("click", function () { setOpen(panel.hidden); });
    close.addEventListener("click", function () { setOpen(false); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") setOpen(false);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      say(text, text);
    });

    if (!state.messages.length) {
      state.messages.push({ from: "notice", text: "Hi! Ask me about Modica's platform migrations and their " +
        "maintenance windows. If something is urgent, say so and I'll bring in a person." });
    }
    state.messages.forEach(function (message) { render(message, false); });
    showCase(state.kase);
    placeVotes();
    setOpen(state.open, true);
  }

  function setOpen(open, quietly) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    launcher.textContent = open ? "Close chat" : "Chat with us";
    root.classList.toggle("mhd-is-open", open);
    state.open = open;
    save();
    if (quietly) return;
    if (open) {
      input.focus();
      scrollToEnd();
    } else {
      launcher.focus();
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // Show one message; `live` is false while the history is redrawn after a reload.
  function render(message, live) {
    var item = el("li", "mhd-msg mhd-from-" + message.from);
    if (message.from === "notice") {
      item.appendChild(el("p", "mhd-notice-text", message.text));
    } else {
      var who = el("span", "mhd-visually-hidden", message.from === "user" ? "You said: " : title + " said: ");
      item.appendChild(who);
      item.appendChild(rich(message.text || ""));
    }
    if (message.unsent) {
      item.classList.add("mhd-unsent");
      item.appendChild(el("span", "mhd-unsent-note", UNSENT_NOTE));
    }
    if (message.buttons && message.buttons.length) {
      var choices = el("div", "mhd-choices");
      choices.setAttribute("role", "group");
      choices.setAttribute("aria-label", "Suggested replies");
      message.buttons.forEach(function (button) {
        var choice = el("button", "mhd-choice", button.title);
        choice.type = "button";
        choice.disabled = !!message.answered;
        choice.addEventListener("click", function () {
          message.answered = true;
          Array.prototype.forEach.call(choices.children, function (b) { b.disabled = true; });
          say(button.title, button.payload);
          input.focus();
        });
        choices.appendChild(choice);
      });
      item.appendChild(choices);
    }
    message.node = item;
    log.appendChild(item);
    if (live) scrollToEnd();
  }

  function add(message) {
    state.messages.push(message);
    render(message, true);
    placeVotes();
    save();
  }

  // ---- votes on the bot's answers -----------------------------------------------------------------
  // One vote per reply: the bot's bubbles after the customer's n-th message are its reply to it (`turn` n;
  // Rasa sends a long answer as several bubbles, split at blank lines). The 👍/👎 sit under the reply's last
  // bubble that does not ask the customer something (a question mark, or a colon at the end: form questions,
  // the offer of the engineer, "Pick one…:"), so an answer followed by a question ("I don't know" and the
  // offer of a person) can still be rated. Not under the engineer's words or the handoff's own messages.
  // The vote is sent as `/feedback_negative{"rated": "n"}` (or positive): the reply to message n.
  function asks(text) {
    return text.indexOf("?") >= 0 || /:\s*$/.test(text);
  }

  // What the engineer wrote, relayed as "<name> (on-call engineer): <text>" (actions/handoff.py).
  var ENGINEER_SAID = /^[^\n]{1,120} \(on-call engineer\): /;

  function votable(text) {
    return !asks(text) && !ENGINEER_SAID.test(text);
  }

  function placeVotes() {
    var holders = {};
    state.messages.forEach(function (message) {
      if (message.from !== "bot" || !(message.turn > 0)) return;
      var holder = holders[message.turn];
      if (message.vote) holders[message.turn] = message;
      else if (message.votable && !(holder && holder.vote)) holders[message.turn] = message;
    });
    state.messages.forEach(function (message) {
      if (!message.node) return;
      var wanted = message.vote || holders[message.turn] === message;
      if (wanted && !message.votes) {
        message.votes = voteButtons(message);
        message.node.appendChild(message.votes);
      } else if (!wanted && message.votes) {
        message.votes.remove();
        message.votes = null;
      }
    });
  }

  function voteButtons(message) {
    var box = el("div", "mhd-feedback");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Was this answer helpful?");
    box.setAttribute("aria-live", "off"); // the buttons coming and going are not news; the thanks below is
    var status = el("span", "mhd-feedback-status");
    status.setAttribute("role", "status");
    var kinds = [["up", "\uD83D\uDC4D", "This answer helped"], ["down", "\uD83D\uDC4E", "This answer did not help"]];
    var buttons = kinds.map(function (kind) {
      var button = el("button", "mhd-vote mhd-vote-" + kind[0], kind[1]);
      button.type = "button";
      button.setAttribute("aria-label", kind[2]);
      button.title = kind[2];
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        if (message.vote) return; // one vote per answer
        message.vote = kind[0];
        message.voteSent = false;
        showVote();
        save();
        flush();
      });
      box.appendChild(button);
      return button;
    });
    box.appendChild(status);
    function showVote() {
      if (!message.vote) return;
      // aria-disabled rather than disabled: the pressed button keeps the focus and still says which it was.
      buttons.forEach(function (button, i) {
        button.setAttribute("aria-pressed", String((i === 0) === (message.vote === "up")));
        button.setAttribute("aria-disabled", "true");
      });
      status.textContent = "Thanks for the feedback";
    }
    showVote();
    return box;
  }

  function votePayload(message) {
    return "/feedback_" + (message.vote === "up" ? "positive" : "negative") + JSON.stringify({ rated: String(message.turn) });
  }

  // ---- the case line -------------------------------------------------------------------------------
  // {ref, state: "waiting" | "with_engineer" | "closed", engineer}: from the bot's updates, the handoff's
  // notices, and the server's report of the current state whenever the session is resumed.
  function showCase(kase) {
    state.kase = kase && kase.state !== "closed" ? kase : null;
    if (!state.kase) {
      caseLine.hidden = true;
      caseLine.textContent = "";
      return;
    }
    var ref = String(kase.ref || "Your case");
    caseLine.textContent = kase.state === "with_engineer"
      ? ref + ": " + String(kase.engineer || "An engineer") + " from the on-call team is in this chat."
      : ref + ": waiting for the on-call team." + (support ? " If it can't wait, " + support + "." : "") +
        " Type 'cancel' to call it off.";
    caseLine.hidden = false;
  }

  // ---- talking to Rasa ----------------------------------------------------------------------------
  var socket = null;
  var ready = false; // connected and the session confirmed
  var typingTimer = null;

  function setStatus(text) {
    statusLine.textContent = text || "";
    statusLine.hidden = !text;
  }

  function showTyping(on) {
    typing.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, TYPING_TIMEOUT_MS);
  }

  // The user's message: shown at once, sent now or kept until the connection is back.
  function say(shown, payload) {
    var message = { from: "user", text: shown.slice(0, MAX_LENGTH), payload: payload.slice(0, MAX_LENGTH), unsent: true };
    add(message);
    flush();
  }

  // Messages go one at a time, each with an id, and count as sent when the server acknowledges them, which it
  // does after its replies. One not acknowledged goes again, with the same id, when the connection is back:
  // a copy the server had already handled gets that copy's replies again, marked "replay": as many of them are
  // skipped as this message's replies were already shown, and replayed notices of the case are skipped (the
  // server tells a resumed session where its case stands).
  var sending = null; // the message emitted and not yet acknowledged

  function flush() {
    if (!ready) return;
    state.messages.forEach(function (message) {
      if (message.vote && !message.voteSent) {
        socket.emit("user_uttered", { message: votePayload(message), session_id: state.sessionId });
        message.voteSent = true; // no reply comes: the widget's own "Thanks for the feedback" is the answer
      }
    });
    var next = state.messages.filter(function (message) { return message.unsent; })[0];
    if (next && !sending) send(next);
    save();
  }

  function send(message) {
    sending = message;
    message.id = message.id || newId();
    if (!message.number) message.number = ++state.sent; // the bot's next bubbles are its reply to this one
    message.replayed = 0; // of this copy's replayed bubbles, how many came
    showUnsent(message, false);
    showTyping(true);
    var data = { message: message.payload || message.text, session_id: state.sessionId, message_id: message.id };
    socket.timeout(ACK_TIMEOUT_MS).emit("user_uttered", data, function (late) {
      if (sending !== message) return; // the acknowledgement of a copy sent before a reconnect
      sending = null;
      if (!late) message.unsent = false;
      flush(); // the next message, or this one again after a server that never answered
    });
  }

  function newId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function showUnsent(message, on) {
    if (!message.node) return;
    message.node.classList.toggle("mhd-unsent", on);
    var note = message.node.querySelector(".mhd-unsent-note");
    if (on && !note) message.node.appendChild(el("span", "mhd-unsent-note", UNSENT_NOTE));
    if (!on && note) note.remove();
  }

  function fromBot(data) {
    showTyping(false);
    if (!data || typeof data !== "object") return;
    if (data.replay && (data.case !== undefined || data.handoff)) return; // stale news: the case line is current
    if (data.case !== undefined) {
      showCase(data.case);
      if (!data.current) notVotable(); // news of the case, not the report of its state after a reload
      save();
      return;
    }
    if (data.handoff === "joined" || data.handoff === "left") {
      var who = String(data.engineer || "An engineer");
      notVotable();
      showCase(data.handoff === "joined" ? { ref: data.ref, state: "with_engineer", engineer: who } : null);
      add({ from: "notice", text: data.handoff === "joined"
        ? who + " (a person from our on-call team) has joined the chat."
        : who + " has left the chat. You're talking to the helpdesk bot again." });
      return;
    }
    if (typeof data.text !== "string" || !data.text) return;
    if (sending && data.replay && (sending.replayed += 1) <= (sending.replies || 0)) return; // shown already
    if (sending && !data.replay) sending.replies = (sending.replies || 0) + 1;
    var buttons = (data.quick_replies || data.buttons || []).map(function (b) {
      return { title: String(b.title || b.payload || "?"), payload: String(b.payload || b.title || "") };
    });
    add({ from: "bot", text: data.text, buttons: buttons, turn: state.sent, votable: votable(data.text) });
  }

  // A notice's twin, the bot's own words for it just before, is news, not an answer to rate.
  function notVotable() {
    var twin = state.messages[state.messages.length - 1];
    if (twin && twin.from === "bot") twin.votable = false;
    placeVotes();
  }

  // The server opened a new conversation (the old one's token was refused): its messages are not rated.
  function forgetConversation() {
    state.sent = 0;
    showCase(null);
    state.messages.forEach(function (message) {
      if (message.unsent) delete message.number; // numbered again as the new conversation's messages
      message.votable = false;
      message.turn = 0;
      if (message.vote) message.voteSent = true;
    });
    placeVotes();
  }

  function connect() {
    socket = window.io(socketUrl, { reconnectionDelayMax: 5000 });
    socket.on("connect", function () {
      // The token proves this browser opened the session; without it the server opens a new one.
      socket.emit("session_request", { session_id: state.sessionId, session_token: state.sessionToken });
    });
    socket.on("session_confirm", function (session) {
      if (session && typeof session.session_id === "string") {
        if (state.sessionId && session.session_id !== state.sessionId) forgetConversation();
        state.sessionId = session.session_id;
        state.sessionToken = typeof session.session_token === "string" ? session.session_token : null;
      }
      ready = true;
      setStatus("");
      save();
      flush();
    });
    socket.on("bot_uttered", fromBot);
    function offline() {
      ready = false;
      if (sending) showUnsent(sending, true);
      sending = null; // sent again, with its id, when the connection is back
      showTyping(false);
      setStatus("Can't reach the helpdesk right now. Retrying… Anything you type will be sent when the connection is back.");
    }
    socket.on("disconnect", offline);
    socket.on("connect_error", offline);
  }

  function start() {
    build();
    if (window.io) {
      connect();
      return;
    }
    var client = document.createElement("script");
    client.src = new URL("vendor/socket.io.min.js", base).href;
    client.onload = connect;
    client.onerror = function () { setStatus("The chat could not load." + (support ? " Please " + support + "." : "")); };
    document.head.appendChild(client);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
