// Deleting asks first: a small confirmation under the message, its safe choice (Cancel)
// focused, so that a slip of the finger on the action bar deletes nothing.
import { button, dismiss } from "./controls.js";

export function askDelete(msg) {
  if (msg.querySelector(".msg-confirm")) return msg.querySelector(".msg-confirm button")?.focus();
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

export function closeConfirm(msg, options) {
  const box = msg.querySelector(".msg-confirm");
  if (box) dismiss(msg, box, msg.querySelector('[data-action="delete"]'), options);
}
