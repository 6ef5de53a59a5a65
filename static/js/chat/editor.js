// Editing one's own message in place: its text becomes a textarea with the text as the
// author wrote it (not as rendered), Enter saves, Escape cancels, and the focus goes back
// where the edit began (the message, or the composer for the Up arrow).
import { tooLongText } from "./composer.js";
import { button, numberOf, showError } from "./controls.js";
import { closeConfirm } from "./deletion.js";
import { errorText } from "./errors.js";
import { closePicker } from "./picker.js";
import { maxLength, outbox } from "./state.js";

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

export function endEdit(pane, msg, { focus = false } = {}) {
  const returnTo = pane.editing?.id === numberOf(msg) ? pane.editing.returnTo : null;
  pane.editing = null;
  msg.querySelector(".msg-editor")?.remove();
  const shown = msg.querySelector(".msg-text");
  if (shown) shown.hidden = false;
  msg.classList.remove("msg-editing");
  if (focus) (returnTo?.isConnected ? returnTo : msg).focus();
}

// `hooks.change(fields)` queues the edit, unless the text is as it was.
export function saveEdit(pane, msg, hooks) {
  const text = msg.querySelector(".msg-editor textarea").value;
  // A message with files may lose its text (the files stay).
  if (!text.trim() && !msg.querySelector(".msg-files")) return showError(pane, errorText("MESSAGE_EMPTY"));
  if (text.length > maxLength) return showError(pane, tooLongText()); // saying the limit
  showError(pane, "");
  const unchanged = text === rawText(pane, msg);
  const id = numberOf(msg);
  endEdit(pane, msg, { focus: true });
  if (!unchanged) hooks.change({ kind: "edit", id, text });
}

// The text of a message as its author wrote it (the event's `message`), or as a queued
// edit will make it.
export function rawText(pane, msg) {
  const id = numberOf(msg);
  const roomId = Number(pane.el.dataset.roomId);
  let text = pane.events.get(id)?.message;
  for (const item of outbox.values()) {
    if (item.room === roomId && item.id === id && item.kind === "edit") text = item.text;
  }
  return text ?? msg.querySelector(".msg-text")?.textContent ?? "";
}

function messageIn(pane, id) {
  return pane.list.querySelector(`.msg[data-id="${Number(id)}"]`);
}
