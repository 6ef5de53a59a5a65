// What a user can do to a stored message: react (a small picker of common emoji), reply,
// and edit or delete their own (moderators: delete anyone's). The controls are the
// viewer's, not the message's: the stored HTML (templates/rooms/message.html) is shared
// by everyone, so each page adds them here when it shows a message (addActions, from
// panes.js decorate()). One set of listeners per pane (wireActions) serves them all.
//
// Changes are not sent from here: they go to the pane's `change` hook (the outbox), which
// keeps them until acknowledged; markChanges() shows what is still waiting.
import { errorText } from "./errors.js";
import { maxLength, me, moderator, outbox } from "./state.js";

// The picker's choice: eight common emoji and the names a screen reader says.
export const EMOJI = [
  ["👍", "thumbs up"],
  ["❤️", "red heart"],
  ["😂", "face with tears of joy"],
  ["🎉", "party popper"],
  ["😮", "face with open mouth"],
  ["😢", "crying face"],
  ["🙏", "folded hands"],
  ["👀", "eyes"],
];
const EXCERPT_CHARS = 100;
const PICKER_KEYS = /^(Arrow(Left|Right|Up|Down)|Home|End)$/;

// Our own constant markup (never user text): 16 px line icons in the text colour.
const ICONS = {
  react:
    '<circle cx="8" cy="8" r="6.25"/><path d="M5.5 9.5c.6 1 1.5 1.5 2.5 1.5s1.9-.5 2.5-1.5"/>' +
    '<path d="M6 6.3v.2M10 6.3v.2"/>',
  reply: '<path d="M6.5 3.5 2.5 7.5l4 4"/><path d="M2.5 7.5h7a4 4 0 0 1 4 4v1"/>',
  edit: '<path d="M10.5 2.5l3 3-8 8H2.5v-3z"/><path d="M9 4l3 3"/>',
  delete: '<path d="M2.5 4.5h11"/><path d="M6 4.5V2.8h4v1.7"/><path d="M4 4.5l.7 9h6.6l.7-9"/>',
};

function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.innerHTML = ICONS[name];
  return svg;
}

// A button named `label` (for a screen reader and, as its tooltip, for the mouse) showing
// `content`. The name is text, not aria-label: a label search for the composer ("Message")
// must not find "Edit message".
function button(action, label, content, extra = {}) {
  const el = document.createElement("button");
  el.type = "button";
  el.dataset.action = action;
  el.append(content);
  if (label) {
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = label;
    el.append(name);
    el.title = label;
  }
  Object.assign(el, extra);
  return el;
}

function numberOf(msg) {
  return Number(msg.dataset.id);
}

// Stored messages (not pending ones, not enter/leave notices, not "message deleted" lines)
// get their action bar, and become focusable: the bar shows on hover and on focus.
export function addActions(node) {
  if (!node.matches(".msg[data-id]") || node.matches(".msg-deleted")) return;
  node.tabIndex = 0;
  const own = node.dataset.author === me;
  const bar = document.createElement("div");
  bar.className = "msg-actions";
  const react = button("react", "React", icon("react"));
  react.setAttribute("aria-expanded", "false");
  bar.append(react, button("reply", "Reply", icon("reply")));
  if (own) bar.append(button("edit", "Edit message", icon("edit")));
  if (own || moderator) bar.append(button("delete", "Delete message", icon("delete")));
  node.append(bar);
}

// Changes of this message still in the outbox, shown on it: an edit's new text, a
// deletion, a reaction given or taken back; and, while one waits, why.
export function markChanges(pane, node) {
  if (!node.matches(".msg[data-id]")) return;
  const roomId = Number(pane.el.dataset.roomId);
  const id = numberOf(node);
  for (const [clientId, item] of outbox) {
    if (item.room !== roomId || item.id !== id || !item.kind || item.kind === "send") continue;
    if (item.kind === "edit") {
      const text = node.querySelector(".msg-text");
      if (text) {
        text.textContent = item.text; // raw until the server renders it
        text.classList.add("msg-text-pending");
      }
    } else if (item.kind === "delete") {
      node.classList.add("msg-changing");
    } else if (item.kind === "react") {
      markReaction(node, item.emoji, item.on);
    }
    const status = statusLine(clientId, item);
    if (status) node.querySelector(".msg-actions")?.before(status);
  }
}

function statusLine(clientId, item) {
  const waiting = { edit: "Saving…", delete: "Deleting…", react: "" }[item.kind];
  const status = document.createElement("p");
  status.className = "msg-status";
  status.dataset.clientId = clientId;
  if (item.state === "failed") {
    status.classList.add("msg-status-failed");
    const what = { edit: "Not saved", delete: "Not deleted", react: "Reaction not sent" }[item.kind];
    status.append(`${what}: ${errorText(item.error)} `);
    status.append(
      button("retry-change", "", "Retry", { className: "btn-quiet retry" }),
      " ",
      button("discard-change", "", "Discard", { className: "btn-quiet retry" }),
    );
    for (const b of status.querySelectorAll("button")) b.dataset.clientId = clientId;
    return status;
  }
  const text = item.error ? errorText(item.error) : waiting;
  if (!text) return null;
  status.textContent = text;
  return status;
}

// A reaction as it will be once the queued change is stored: pressed (or not), counted.
function markReaction(node, emoji, on) {
  let chip = node.querySelector(`.reaction[data-emoji="${CSS.escape(emoji)}"]`);
  const pressed = chip?.getAttribute("aria-pressed") === "true";
  if (pressed === on) return;
  if (!chip) {
    if (!on) return;
    let list = node.querySelector(".reactions");
    if (!list) {
      list = document.createElement("ul");
      list.className = "reactions";
      list.setAttribute("aria-label", "Reactions");
      (node.querySelector(".msg-text") || node.querySelector(".msg-meta")).after(list);
    }
    chip = document.createElement("button");
    chip.type = "button";
    chip.className = "reaction";
    chip.dataset.emoji = emoji;
    const count = document.createElement("span");
    count.className = "reaction-count";
    count.textContent = "0";
    chip.append(`${emoji} `, count);
    const item = document.createElement("li");
    item.append(chip);
    list.append(item);
  }
  const count = chip.querySelector(".reaction-count");
  const n = Math.max(0, Number(count.textContent) + (on ? 1 : -1));
  count.textContent = String(n);
  chip.setAttribute("aria-label", `${emoji} ${n}`);
  chip.setAttribute("aria-pressed", String(on));
  chip.classList.add("reaction-pending");
}

// A message is replaced by its newer state (an edit, a reaction) while the user is busy
// with it: the editor, picker or confirmation goes over to the new element, and so does
// the focus.
export function carryOver(old, fresh) {
  const active = document.activeElement;
  const focused = old.contains(active) ? active : null;
  const selection = focused?.matches("textarea")
    ? [focused.selectionStart, focused.selectionEnd]
    : null;
  for (const flag of ["msg-editing", "msg-acting"]) {
    if (old.classList.contains(flag)) fresh.classList.add(flag);
  }
  for (const part of old.querySelectorAll(".msg-transient")) {
    if (part.matches(".msg-editor")) {
      const text = fresh.querySelector(".msg-text");
      if (text) text.hidden = true;
      (text || fresh.querySelector(".msg-meta")).after(part);
    } else {
      fresh.append(part);
    }
  }
  if (old.querySelector(".emoji-picker")) {
    fresh.querySelector('[data-action="react"]')?.setAttribute("aria-expanded", "true");
  }
  return () => {
    if (!focused) return;
    if (fresh.contains(focused)) {
      focused.focus();
      if (selection) focused.setSelectionRange(...selection);
    } else if (focused.dataset.action) {
      (fresh.querySelector(`.msg-actions [data-action="${focused.dataset.action}"]`) || fresh).focus();
    } else if (focused.matches(".reaction")) {
      const chip = fresh.querySelector(`.reaction[data-emoji="${CSS.escape(focused.dataset.emoji)}"]`);
      (chip || fresh).focus();
    } else {
      fresh.focus();
    }
  };
}

// A message is gone (deleted): whatever the user had started with it ends.
export function forget(pane, id, element) {
  if (pane.editing?.id === id) pane.editing = null;
  if (pane.replyTo?.id === id) {
    cancelReply(pane);
    showError(pane, errorText("MESSAGE_INVALID"));
  }
  if (element?.contains(document.activeElement)) pane.list.focus();
}

// The listeners ---------------------------------------------------------------------

// `hooks.change(fields)` queues a change ({kind, id, …}); `hooks.retry(clientId)` and
// `hooks.discard(clientId)` answer a change that failed.
export function wireActions(pane, hooks) {
  pane.editing = null; // {id, returnTo}: the message being edited in this pane
  pane.replyTo = null; // {id, author, excerpt}: what the next send answers
  pane.list.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-action]");
    if (!target || !pane.list.contains(target)) return;
    const msg = target.closest(".msg[data-id]");
    if (!msg) return;
    const id = numberOf(msg);
    switch (target.dataset.action) {
      case "react":
        togglePicker(msg);
        break;
      case "pick": {
        const emoji = target.dataset.emoji;
        closePicker(msg, { focus: true });
        hooks.change({ kind: "react", id, emoji, on: !given(msg, emoji) }); // or take it back
        break;
      }
      case "reply":
        startReply(pane, msg);
        break;
      case "edit":
        startEdit(pane, msg);
        break;
      case "cancel-edit":
        endEdit(pane, msg, { focus: true });
        break;
      case "delete":
        askDelete(msg);
        break;
      case "confirm-delete":
        closeConfirm(msg);
        msg.focus();
        hooks.change({ kind: "delete", id });
        break;
      case "cancel-delete":
        closeConfirm(msg, { focus: true });
        break;
      case "retry-change":
        hooks.retry(target.dataset.clientId);
        break;
      case "discard-change":
        hooks.discard(target.dataset.clientId);
        break;
    }
  });
  pane.list.addEventListener("submit", (event) => {
    const form = event.target.closest(".msg-editor");
    if (!form) return;
    event.preventDefault();
    saveEdit(pane, form.closest(".msg[data-id]"), hooks);
  });
  pane.list.addEventListener("keydown", (event) => {
    const msg = event.target.closest?.(".msg[data-id]");
    if (!msg) return;
    if (event.target.matches(".msg-editor textarea")) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        saveEdit(pane, msg, hooks);
      } else if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        endEdit(pane, msg, { focus: true });
      }
      return;
    }
    if (event.key === "Escape" && event.target.closest(".emoji-picker")) {
      event.preventDefault();
      closePicker(msg, { focus: true });
    } else if (event.key === "Escape" && event.target.closest(".msg-confirm")) {
      event.preventDefault();
      closeConfirm(msg, { focus: true });
    } else if (event.target.closest(".emoji-picker") && PICKER_KEYS.test(event.key)) {
      event.preventDefault();
      moveInPicker(event.target, event.key);
    }
  });

  const composer = pane.el.querySelector(".composer textarea");
  composer.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && pane.replyTo) {
      event.preventDefault();
      cancelReply(pane);
    } else if (
      event.key === "ArrowUp" &&
      composer.value === "" &&
      !(event.shiftKey || event.altKey || event.ctrlKey || event.metaKey)
    ) {
      const mine = [...pane.list.querySelectorAll(".msg-own[data-id]:not(.msg-deleted):not(.msg-changing)")];
      const last = mine.at(-1);
      if (!last || !last.querySelector('[data-action="edit"]')) return;
      event.preventDefault();
      last.scrollIntoView({ block: "nearest" });
      startEdit(pane, last, { returnTo: composer });
    }
  });
  pane.el.querySelector(".reply-cancel").addEventListener("click", () => {
    cancelReply(pane);
    composer.focus();
  });
}

// Close pickers and confirmations when the user turns to something else.
function closeOutside(event) {
  for (const open of document.querySelectorAll(".emoji-picker, .msg-confirm")) {
    const msg = open.closest(".msg");
    if (msg && !msg.contains(event.target)) {
      if (open.matches(".emoji-picker")) closePicker(msg);
      else closeConfirm(msg);
    }
  }
}
document.addEventListener("pointerdown", closeOutside);
document.addEventListener("focusin", closeOutside);

function showError(pane, text) {
  const box = pane.el.querySelector(".composer-error");
  box.textContent = text;
  box.hidden = !text;
}

// The text of a message as its author wrote it (the event's `message`), or as a queued
// edit will make it.
function rawText(pane, msg) {
  const id = numberOf(msg);
  const roomId = Number(pane.el.dataset.roomId);
  let text = pane.events.get(id)?.message;
  for (const item of outbox.values()) {
    if (item.room === roomId && item.id === id && item.kind === "edit") text = item.text;
  }
  return text ?? msg.querySelector(".msg-text")?.textContent ?? "";
}

// Reacting ---------------------------------------------------------------------------

function given(msg, emoji) {
  const chip = msg.querySelector(`.reaction[data-emoji="${CSS.escape(emoji)}"]`);
  return chip?.getAttribute("aria-pressed") === "true";
}

function togglePicker(msg) {
  if (msg.querySelector(".emoji-picker")) closePicker(msg, { focus: true });
  else openPicker(msg);
}

function openPicker(msg) {
  closeConfirm(msg);
  const picker = document.createElement("div");
  picker.className = "emoji-picker msg-transient";
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-label", "Pick a reaction");
  for (const [emoji, name] of EMOJI) {
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true"); // named in words, once
    shown.textContent = emoji;
    const choice = button("pick", name, shown, { className: "emoji-choice" });
    choice.dataset.emoji = emoji;
    choice.setAttribute("aria-pressed", String(given(msg, emoji)));
    choice.tabIndex = -1; // one tab stop; the arrow keys move within
    picker.append(choice);
  }
  picker.firstElementChild.tabIndex = 0;
  msg.append(picker);
  msg.classList.add("msg-acting");
  msg.querySelector('[data-action="react"]').setAttribute("aria-expanded", "true");
  picker.firstElementChild.focus();
}

function closePicker(msg, { focus = false } = {}) {
  const picker = msg.querySelector(".emoji-picker");
  if (!picker) return;
  const hadFocus = picker.contains(document.activeElement);
  picker.remove();
  msg.classList.remove("msg-acting");
  const react = msg.querySelector('[data-action="react"]');
  react?.setAttribute("aria-expanded", "false");
  if (focus || hadFocus) (react || msg).focus();
}

function moveInPicker(current, key) {
  const choices = [...current.closest(".emoji-picker").querySelectorAll(".emoji-choice")];
  const at = choices.indexOf(current.closest(".emoji-choice"));
  const next = {
    ArrowLeft: at - 1,
    ArrowUp: at - 1,
    ArrowRight: at + 1,
    ArrowDown: at + 1,
    Home: 0,
    End: choices.length - 1,
  }[key];
  const target = choices[(next + choices.length) % choices.length];
  for (const choice of choices) choice.tabIndex = choice === target ? 0 : -1;
  target.focus();
}

// Deleting ---------------------------------------------------------------------------

function askDelete(msg) {
  if (msg.querySelector(".msg-confirm")) return msg.querySelector(".msg-confirm button")?.focus();
  closePicker(msg);
  const box = document.createElement("div");
  box.className = "msg-confirm msg-transient";
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Confirm deletion");
  const question = document.createElement("span");
  question.textContent = "Delete this message?";
  const yes = button("confirm-delete", "", "Delete", { className: "btn-danger" });
  const no = button("cancel-delete", "", "Cancel", { className: "btn-quiet" });
  box.append(question, " ", yes, " ", no);
  msg.append(box);
  msg.classList.add("msg-acting");
  no.focus(); // the safe choice first; Tab or Shift+Tab reaches Delete
}

function closeConfirm(msg, { focus = false } = {}) {
  const box = msg.querySelector(".msg-confirm");
  if (!box) return;
  const hadFocus = box.contains(document.activeElement);
  box.remove();
  msg.classList.remove("msg-acting");
  if (focus || hadFocus) (msg.querySelector('[data-action="delete"]') || msg).focus();
}

// Editing ----------------------------------------------------------------------------

export function startEdit(pane, msg, { returnTo = null } = {}) {
  const current = pane.editing && messageIn(pane, pane.editing.id);
  if (current === msg) return msg.querySelector(".msg-editor textarea")?.focus();
  if (current) endEdit(pane, current);
  closePicker(msg);
  closeConfirm(msg);
  const text = rawText(pane, msg);
  const form = document.createElement("form");
  form.className = "msg-editor msg-transient";
  const box = document.createElement("textarea");
  box.setAttribute("aria-label", "Edit text");
  box.rows = Math.min(8, text.split("\n").length);
  box.value = text;
  const hint = document.createElement("p");
  hint.className = "msg-editor-hint";
  hint.id = `edit-hint-${pane.el.dataset.roomId}-${numberOf(msg)}`;
  hint.textContent = "Enter saves, Shift+Enter adds a line, Escape cancels.";
  box.setAttribute("aria-describedby", hint.id);
  const save = document.createElement("button");
  save.type = "submit";
  save.textContent = "Save";
  const cancel = button("cancel-edit", "", "Cancel", { className: "btn-quiet" });
  const row = document.createElement("div");
  row.className = "msg-editor-row";
  row.append(hint, save, cancel);
  form.append(box, row);
  const shown = msg.querySelector(".msg-text");
  if (shown) shown.hidden = true;
  (shown || msg.querySelector(".msg-meta")).after(form);
  msg.classList.add("msg-editing");
  pane.editing = { id: numberOf(msg), returnTo };
  box.addEventListener("input", () => (box.rows = Math.min(8, box.value.split("\n").length)));
  box.focus();
  box.setSelectionRange(text.length, text.length);
}

function endEdit(pane, msg, { focus = false } = {}) {
  const returnTo = pane.editing?.id === numberOf(msg) ? pane.editing.returnTo : null;
  pane.editing = null;
  msg.querySelector(".msg-editor")?.remove();
  const shown = msg.querySelector(".msg-text");
  if (shown) shown.hidden = false;
  msg.classList.remove("msg-editing");
  if (focus) (returnTo?.isConnected ? returnTo : msg).focus();
}

function saveEdit(pane, msg, hooks) {
  const text = msg.querySelector(".msg-editor textarea").value;
  if (!text.trim()) return showError(pane, errorText("MESSAGE_EMPTY"));
  if (text.length > maxLength) return showError(pane, errorText("MESSAGE_TOO_LONG"));
  showError(pane, "");
  const unchanged = text === rawText(pane, msg);
  const id = numberOf(msg);
  endEdit(pane, msg, { focus: true });
  if (!unchanged) hooks.change({ kind: "edit", id, text });
}

function messageIn(pane, id) {
  return pane.list.querySelector(`.msg[data-id="${Number(id)}"]`);
}

// Replying ---------------------------------------------------------------------------

function startReply(pane, msg) {
  const id = numberOf(msg);
  const author = msg.dataset.author || "Server";
  const text = rawText(pane, msg).replace(/\s+/g, " ").trim();
  const excerpt = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
  pane.replyTo = { id, author, excerpt };
  const bar = pane.el.querySelector(".reply-bar");
  bar.querySelector(".reply-bar-author").textContent = author;
  bar.querySelector(".reply-bar-excerpt").textContent = excerpt;
  bar.hidden = false;
  const composer = pane.el.querySelector(".composer textarea");
  composer.setAttribute("aria-describedby", bar.querySelector(".reply-bar-text").id);
  composer.focus();
}

export function cancelReply(pane) {
  pane.replyTo = null;
  const bar = pane.el.querySelector(".reply-bar");
  if (bar) bar.hidden = true;
  pane.el.querySelector(".composer textarea")?.removeAttribute("aria-describedby");
}
