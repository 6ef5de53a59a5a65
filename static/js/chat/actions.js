// What a user can do to a stored message: react (a small picker of common emoji), reply,
// and edit or delete their own (moderators: delete anyone's). The controls are the
// viewer's, not the message's: the stored HTML (templates/rooms/message.html) is shared
// by everyone, so each page adds them here when it shows a message (addActions, from
// panes.js decorate()). One set of listeners per pane (wireActions) serves them all, and
// hands each action to its module: picker.js, reply.js, editor.js, deletion.js.
//
// Changes are not sent from here: they go to the pane's `change` hook (the outbox), which
// keeps them until acknowledged; pending.js shows what is still waiting.
import { button, icon, numberOf, showError } from "./controls.js";
import { askDelete, closeConfirm } from "./deletion.js";
import { endEdit, saveEdit, startEdit } from "./editor.js";
import { errorText } from "./errors.js";
import { PICKER_KEYS, closePicker, given, moveInPicker, togglePicker } from "./picker.js";
import { cancelReply, startReply } from "./reply.js";
import { me, moderator } from "./state.js";

// Stored messages (not pending ones, not enter/leave notices, not "message deleted" lines)
// get their action bar, and become focusable: the bar shows on hover and on focus. A
// message is one Tab stop: its bar's buttons join the Tab order only while the focus is
// in the message (wireActions), so Tab goes from message to message, and from a focused
// message into its bar.
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
  for (const control of bar.children) control.tabIndex = -1;
  node.append(bar);
}

function barInTabOrder(msg, on) {
  for (const control of msg.querySelectorAll(".msg-actions button")) control.tabIndex = on ? 0 : -1;
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
      // One of them under a message at a time: the picker or the confirmation.
      case "react":
        closeConfirm(msg);
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
        closePicker(msg);
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
  // The bar joins the Tab order when the focus comes into its message, and leaves it
  // when the focus goes elsewhere (not when it moves within the message).
  pane.list.addEventListener("focusin", (event) => {
    const msg = event.target.closest?.(".msg[data-id]");
    if (msg) barInTabOrder(msg, true);
  });
  pane.list.addEventListener("focusout", (event) => {
    const msg = event.target.closest?.(".msg[data-id]");
    if (msg && !msg.contains(event.relatedTarget)) barInTabOrder(msg, false);
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
