// A pane's messages: each in id order, replaced by its newer states (a gap in the room's
// seqs is asked for), the pending ones after them at the bottom. Each message comes as
// the server's stored HTML (templates/rooms/message.html, the same for everyone), which
// is decorated here for this viewer (their own messages, their reactions, their actions,
// the local time); timeline.js then regroups the list, scrolling.js keeps the reader's
// place, and announce.js keeps all but new live messages from being read out.
import { addActions, carryOver, forget } from "./actions.js";
import { aloud, quietly } from "./announce.js";
import { markChanges } from "./pending.js";
import { keepPlace, setUnread } from "./scrolling.js";
import { MESSAGE_TYPE, command, me, panes } from "./state.js";
import { regroup, showTime } from "./timeline.js";

// Marks what is the user's own: their messages, and the reactions they gave (the event
// names up to 20 users per emoji); gives each stored message the viewer's action bar and
// local time, and shows the changes of it that still wait in the outbox.
export function decorate(pane, nodes, reactions = []) {
  const given = new Set(reactions.filter((r) => r.users.includes(me)).map((r) => r.emoji));
  for (const node of nodes) {
    if (!(node instanceof Element)) continue;
    if (node.dataset.author === me) node.classList.add("msg-own");
    showTime(node);
    for (const chip of node.querySelectorAll(".reaction")) {
      chip.setAttribute("aria-pressed", String(given.has(chip.dataset.emoji)));
    }
    addActions(node);
    markChanges(pane, node);
  }
}

export function htmlNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // server-rendered and autoescaped
  return [...template.content.childNodes];
}

export function messageElement(pane, id) {
  return pane.list.querySelector(`.msg[data-id="${Number(id)}"]`);
}

// Too much was missed: drop the room's messages, the latest ones follow.
export function clearMessages(pane) {
  quietly(pane, () => {
    pane.list.querySelectorAll(".msg:not(.msg-pending), .day-separator, .unread-line").forEach((el) => el.remove());
  });
  pane.oldestId = null;
  pane.events.clear();
}

// A message event (new, edited, reacted to) or a deletion, live or from a history.
export function showMessage(event) {
  const pane = panes.get(event.room);
  if (!pane) return;
  if (event.seq != null) {
    if (event.seq > pane.lastSeq + 1) {
      // A gap: ask for what is missing, once until the join is answered (unless a join
      // is already due: asking now would only count against the limit). The event is
      // shown all the same: it is the message as it is now, and the seqs before it may
      // be states it superseded, which nothing will send again.
      if (!pane.waiting && !pane.catchingUp) {
        pane.catchingUp = true;
        command({ command: "join", room: event.room, since: pane.lastSeq });
      }
    } else if (event.seq === pane.lastSeq + 1) {
      pane.lastSeq = event.seq;
    }
    // At or below lastSeq: part of a history, or seen already (placed by id if newer).
  }
  // A history (a join's, a resume's) stands at or below the seq its join reply named.
  const history = event.seq != null && event.seq <= pane.historySeq;
  const change = () => {
    if (event.deleted) removeMessage(pane, event);
    else if (event.id == null) appendNodes(pane, htmlNodes(event.html), event); // a notice
    else placeMessage(pane, event, history);
  };
  // Only a new message of someone else, as it comes, is read out; the user's own was
  // read out as they sent it (its pending copy), a changed one is no news.
  const news = !history && !event.deleted && (event.id == null || !messageElement(pane, event.id));
  const mine = event.username === me && event.id != null;
  if (news && !mine) aloud(pane, () => keepPlace(pane, change));
  else quietly(pane, () => keepPlace(pane, change));
}

function placeMessage(pane, event, history) {
  const existing = messageElement(pane, event.id);
  if (existing && Number(existing.dataset.seq) >= event.seq) return; // not newer
  pane.events.set(event.id, event);
  const nodes = htmlNodes(event.html);
  decorate(pane, nodes, event.reactions);
  if (existing) {
    replaceMessage(pane, existing, nodes); // an edit or a reaction: in place
    return;
  }
  if (pane.oldestId !== null && event.id < pane.oldestId) return; // "load older" shows it
  if (pane.oldestId === null) {
    pane.oldestId = event.id;
    pane.el.querySelector(".older").hidden = event.id <= 1;
  }
  const later = [...pane.list.querySelectorAll(".msg[data-id]")].find(
    (el) => Number(el.dataset.id) > event.id,
  );
  if (later) {
    // Before the later message, and before the day or "New messages" line over it.
    let at = later;
    while (at.previousElementSibling?.matches(".day-separator, .unread-line")) at = at.previousElementSibling;
    at.before(...nodes);
    regroup(pane);
  } else {
    appendNodes(pane, nodes, event, history);
  }
}

// Whatever the user was doing with the message (editing, picking a reaction, confirming
// a deletion) goes on in its new state, focus included.
function replaceMessage(pane, existing, nodes) {
  const fresh = nodes.find((node) => node instanceof Element);
  const refocus = fresh ? carryOver(existing, fresh) : () => {};
  existing.replaceWith(...nodes);
  regroup(pane);
  refocus();
}

// Shows the message again as its latest event has it, with what still waits in the
// outbox (a change was queued, acknowledged or refused).
export function refreshMessage(roomId, id) {
  const pane = panes.get(roomId);
  const event = pane?.events.get(id);
  const existing = pane && messageElement(pane, id);
  if (!event || !existing) return;
  const nodes = htmlNodes(event.html);
  decorate(pane, nodes, event.reactions);
  quietly(pane, () => keepPlace(pane, () => replaceMessage(pane, existing, nodes)));
}

function appendNodes(pane, nodes, event, history = false) {
  const stick = pane.stuck;
  if (event.id == null) decorate(pane, nodes);
  // Stored messages go before the pending ones, which stay at the bottom.
  const firstPending = pane.list.querySelector(".msg-pending");
  if (firstPending) firstPending.before(...nodes);
  else pane.list.append(...nodes);
  regroup(pane);
  const mine = event.username === me && event.msg_type === MESSAGE_TYPE.message;
  if (mine) pane.stuck = true; // the user's own message is always shown (keepPlace scrolls)
  const noteworthy = event.seq != null && !mine && !history;
  if (noteworthy && (!stick || document.visibilityState === "hidden")) setUnread(pane, pane.unread + 1);
}

// A deleted message disappears; one that others replied to leaves a small line.
function removeMessage(pane, event) {
  const replies = pane.list.querySelectorAll(`.msg[data-reply-to="${Number(event.id)}"]`);
  for (const reply of replies) {
    const quote = reply.querySelector(".reply-quote");
    if (quote) quote.replaceChildren(Object.assign(document.createElement("span"), {
      className: "reply-deleted",
      textContent: "message deleted",
    }));
  }
  pane.events.delete(event.id);
  const existing = messageElement(pane, event.id);
  forget(pane, event.id, existing);
  if (!existing) return;
  if (replies.length) {
    const line = document.createElement("li");
    line.className = "msg msg-deleted";
    line.dataset.id = event.id;
    line.dataset.seq = event.seq;
    line.textContent = "message deleted";
    existing.replaceWith(line);
  } else {
    existing.remove();
  }
  regroup(pane);
}
