// Sending: nothing typed is lost. A send waits in the outbox (kept in sessionStorage)
// under its client_id until the server acks it; it is shown as pending meanwhile, sent
// again after a reconnect, retried by itself after an outage, and given back to the
// composer when the server refuses it for good.
import { socketState } from "../../websocket/websocket.js";
import { errorText, isFinalRefusal, retriesLater } from "./errors.js";
import { showComposerError } from "./panes.js";
import { command, maxLength, outbox, panes, saveState, socketUrl } from "./state.js";

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function pendingElement(clientId) {
  return document.querySelector(`.msg-pending[data-client-id="${CSS.escape(clientId)}"]`);
}

function renderPending(clientId) {
  const item = outbox.get(clientId);
  const pane = item && panes.get(item.room);
  if (!pane) return;
  let el = pendingElement(clientId);
  if (!el) {
    el = document.createElement("li");
    el.className = "msg msg-own msg-pending";
    el.dataset.clientId = clientId;
    const text = document.createElement("p");
    text.className = "msg-text";
    text.textContent = item.text;
    const status = document.createElement("div");
    status.className = "msg-status";
    el.append(text, status);
    pane.list.append(el);
    pane.list.scrollTop = pane.list.scrollHeight;
  }
  const status = el.querySelector(".msg-status");
  status.replaceChildren();
  el.classList.toggle("msg-failed", item.state === "failed");
  if (item.state === "failed") {
    status.append(`Not sent: ${errorText(item.error)}`);
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn-quiet retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      item.state = "pending";
      saveState();
      renderPending(clientId);
      transmit(clientId);
    });
    status.append(" ", retry);
  } else if (retriesLater(item.error)) {
    status.textContent = errorText(item.error);
  } else {
    status.textContent = "Sending…";
  }
}

function transmit(clientId) {
  const item = outbox.get(clientId);
  // Offline sends wait in the outbox, not in the socket's queue: they must follow the
  // re-join after a reconnect, and resendPending() sends them when the join is answered.
  // A room waiting out the join limit is not joined: its sends wait for the join too.
  if (item && socketState(socketUrl) === "open" && !panes.get(item.room)?.waiting) {
    command({ command: "send", room: item.room, message: item.text, client_id: clientId });
  }
}

export function submit(roomId, textarea) {
  const text = textarea.value;
  if (!text.trim()) return showComposerError(roomId, errorText("MESSAGE_EMPTY"));
  if (text.length > maxLength) return showComposerError(roomId, errorText("MESSAGE_TOO_LONG"));
  const clientId = newClientId();
  outbox.set(clientId, { room: roomId, text, state: "pending" });
  saveState();
  textarea.value = "";
  showComposerError(roomId, "");
  renderPending(clientId);
  transmit(clientId);
}

// After a reconnect or a reload, once the room's join is answered, unacked sends go again.
export function resendPending(roomId) {
  for (const [clientId, item] of outbox) {
    if (item.room !== roomId) continue;
    renderPending(clientId);
    if (item.state === "pending") transmit(clientId);
  }
}

// The room is closed: what was not sent to it is dropped with it.
export function dropSendsTo(roomId) {
  for (const [id, item] of outbox) if (item.room === roomId) outbox.delete(id);
}

export function onAck(ack) {
  if (!outbox.has(ack.ack)) return;
  outbox.delete(ack.ack);
  saveState();
  pendingElement(ack.ack)?.remove(); // the stored message arrives (or arrived) by seq
}

// An error frame about one of this tab's sends: handled here (true), or not ours (false).
export function onSendRefused(error) {
  const item = error.client_id ? outbox.get(error.client_id) : null;
  if (!item) return false;
  if (isFinalRefusal(error.error)) {
    // Retrying cannot help: give the text back to the composer to edit.
    outbox.delete(error.client_id);
    saveState();
    pendingElement(error.client_id)?.remove();
    const textarea = panes.get(item.room)?.el.querySelector("textarea");
    if (textarea && !textarea.value) textarea.value = item.text;
    showComposerError(item.room, errorText(error.error));
  } else if (retriesLater(error.error)) {
    item.tries = (item.tries || 0) + 1;
    item.error = error.error;
    saveState();
    renderPending(error.client_id);
    const delay = Math.min(30_000, 500 * 2 ** item.tries);
    setTimeout(() => transmit(error.client_id), delay);
  } else {
    item.state = "failed";
    item.error = error.error;
    saveState();
    renderPending(error.client_id);
  }
  return true;
}
