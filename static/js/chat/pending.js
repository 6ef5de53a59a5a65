// Changes of a message still waiting in the outbox, shown on it: an edit's new text, a
// deletion, a reaction given or taken back; and, while one waits, why (with Retry and
// Discard once the server has refused it). The message looks as it will once they are
// stored, so the user sees at once what they did, online or not.
import { button, numberOf } from "./controls.js";
import { errorText } from "./errors.js";
import { outbox } from "./state.js";

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
  // Offline or between sockets nothing goes out: say so (websocket.js's <html data-ws>).
  const offline = document.documentElement.dataset.ws !== "open";
  const waiting = offline && item.kind !== "react"
    ? "Waiting for connection"
    : { edit: "Saving…", delete: "Deleting…", react: "" }[item.kind];
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
