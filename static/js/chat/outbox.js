// Sending: nothing typed is lost. A send waits in the outbox (kept in sessionStorage)
// under its client_id until the server acks it; it is shown as pending meanwhile, sent
// again after a reconnect, retried by itself after an outage, and given back to the
// composer when the server refuses it for good. Changes of stored messages (edits,
// deletions, reactions) go the same way: queued in order with the sends, shown on their
// message while they wait (pending.js markChanges), and dropped, with the reason in the
// composer's error line, when the server refuses them for good. A send carries the ids
// of the files uploaded in its composer (attachments.js), and waits for uploads under way.
import { socketState } from "../../websocket/websocket.js";
import { giveBackAttachments, sendWhenUploaded, takeAttachments, uploadsUnderWay } from "./attachments.js";
import { cancelReply } from "./reply.js";
import { errorText, isFinalRefusal, retriesLater } from "./errors.js";
import { refreshMessage, showComposerError } from "./panes.js";
import { command, maxLength, outbox, panes, saveState, socketUrl } from "./state.js";

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function pendingElement(clientId) {
  return document.querySelector(`.msg-pending[data-client-id="${CSS.escape(clientId)}"]`);
}

function isChange(item) {
  return item.kind === "edit" || item.kind === "delete" || item.kind === "react";
}

function renderPending(clientId) {
  const item = outbox.get(clientId);
  const pane = item && panes.get(item.room);
  if (!pane) return;
  if (isChange(item)) return refreshMessage(item.room, item.id); // shown on its message
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
    if (item.quote) {
      const quote = document.createElement("div");
      quote.className = "reply-quote";
      quote.dataset.parent = item.replyTo;
      const author = document.createElement("span");
      author.className = "reply-author";
      author.textContent = item.quote.author;
      quote.append(author, ` ${item.quote.excerpt}`);
      el.append(quote);
    }
    el.append(text);
    if (item.attachments?.length) {
      const files = document.createElement("p");
      files.className = "msg-files-pending";
      files.textContent = item.attachments.map((file) => file.name).join(", ");
      el.append(files);
    }
    el.append(status);
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
    // Offline or between sockets nothing goes out: say so, not "Sending…" forever.
    status.textContent = connected() ? "Sending…" : "Waiting for connection";
  }
}

function connected() {
  return document.documentElement.dataset.ws === "open" && socketState(socketUrl) === "open";
}

// The connection came or went (websocket.js): what waits says which.
document.addEventListener("ws:state", () => {
  for (const clientId of outbox.keys()) renderPending(clientId);
});

function transmit(clientId) {
  const item = outbox.get(clientId);
  // Offline sends wait in the outbox, not in the socket's queue: they must follow the
  // re-join after a reconnect, and resendPending() sends them when the join is answered.
  // A room waiting out the join limit is not joined: its sends wait for the join too.
  if (item && socketState(socketUrl) === "open" && !panes.get(item.room)?.waiting) {
    command(frameOf(clientId, item));
  }
}

function frameOf(clientId, item) {
  const about = { room: item.room, id: item.id, client_id: clientId };
  switch (item.kind) {
    case "edit":
      return { command: "edit", ...about, message: item.text };
    case "delete":
      return { command: "delete", ...about };
    case "react":
      return { command: "react", ...about, emoji: item.emoji, on: item.on };
    default: {
      const reply = item.replyTo != null ? { reply_to: item.replyTo } : {};
      const files = item.attachments?.length ? { attachments: item.attachments.map((file) => file.id) } : {};
      return { command: "send", room: item.room, message: item.text, client_id: clientId, ...reply, ...files };
    }
  }
}

export function submit(roomId, textarea) {
  const pane = panes.get(roomId);
  if (pane && uploadsUnderWay(pane)) return sendWhenUploaded(pane, () => submit(roomId, textarea));
  const text = textarea.value;
  const hasFiles = Boolean(pane?.uploads?.length);
  if (!text.trim() && !hasFiles) return showComposerError(roomId, errorText("MESSAGE_EMPTY"));
  if (text.length > maxLength) return showComposerError(roomId, errorText("MESSAGE_TOO_LONG"));
  const clientId = newClientId();
  const replyTo = pane?.replyTo;
  const reply = replyTo
    ? { replyTo: replyTo.id, quote: { author: replyTo.author, excerpt: replyTo.excerpt } }
    : {};
  const attachments = hasFiles ? takeAttachments(pane) : [];
  const files = attachments.length ? { attachments } : {};
  outbox.set(clientId, { room: roomId, kind: "send", text, ...reply, ...files, state: "pending" });
  saveState();
  if (replyTo) cancelReply(panes.get(roomId));
  textarea.value = "";
  showComposerError(roomId, "");
  renderPending(clientId);
  transmit(clientId);
}

// An edit, deletion or reaction ({kind, id, …}) of a stored message of the room: queued
// like a send, shown on the message until acknowledged.
export function queueChange(roomId, fields) {
  const clientId = newClientId();
  outbox.set(clientId, { room: roomId, ...fields, state: "pending" });
  saveState();
  showComposerError(roomId, "");
  renderPending(clientId);
  transmit(clientId);
}

// A change that failed (e.g. the rate limit): try it again, or give it up.
export function retryChange(clientId) {
  const item = outbox.get(clientId);
  if (!item) return;
  item.state = "pending";
  delete item.error;
  saveState();
  renderPending(clientId);
  transmit(clientId);
}

export function discardChange(clientId) {
  const item = outbox.get(clientId);
  if (!item) return;
  outbox.delete(clientId);
  saveState();
  refreshMessage(item.room, item.id);
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
  const item = outbox.get(ack.ack);
  if (!item) return;
  outbox.delete(ack.ack);
  saveState();
  if (!isChange(item)) {
    pendingElement(ack.ack)?.remove(); // the stored message arrives (or arrived) by seq
    return;
  }
  const shown = panes.get(item.room)?.list.querySelector(`.msg[data-id="${Number(item.id)}"]`);
  if (shown && Number(shown.dataset.seq) < ack.seq) {
    // Its new state follows the ack: keep showing the change until it is in, minus the
    // "Saving…" line.
    shown.querySelector(`.msg-status[data-client-id="${CSS.escape(ack.ack)}"]`)?.remove();
  } else {
    refreshMessage(item.room, item.id); // nothing changed (e.g. a reaction already given)
  }
}

// An error frame about one of this tab's sends: handled here (true), or not ours (false).
export function onSendRefused(error) {
  const item = error.client_id ? outbox.get(error.client_id) : null;
  if (!item) return false;
  if (isFinalRefusal(error.error) && isChange(item)) {
    // Retrying cannot help (e.g. the message was deleted meanwhile): say why.
    outbox.delete(error.client_id);
    saveState();
    refreshMessage(item.room, item.id);
    showComposerError(item.room, errorText(error.error));
  } else if (isFinalRefusal(error.error)) {
    // Retrying cannot help: give the text back to the composer to edit.
    outbox.delete(error.client_id);
    saveState();
    pendingElement(error.client_id)?.remove();
    const textarea = panes.get(item.room)?.el.querySelector("textarea");
    if (textarea && !textarea.value) textarea.value = item.text;
    if (item.attachments?.length && error.error !== "FILE_INVALID" && panes.has(item.room)) {
      giveBackAttachments(panes.get(item.room), item.attachments); // to be sent again
    }
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
