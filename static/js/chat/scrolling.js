// Where a pane's conversation is scrolled: it follows the newest message while the user
// is there (also when the pane or its content changes size after the fact: the members
// line, the typing line, an image coming in), keeps the reader's place while they read
// further up (whatever changes above or below), and offers "Jump to latest" with the
// count of what came meanwhile once they are more than a screen away.
import { isNearBottom, panes } from "./state.js";

export function wireScrolling(pane) {
  const list = pane.list;
  pane.stuck = true; // following the newest message
  pane.unread = 0; // new messages that came while the user was not looking
  list.addEventListener("scroll", () => {
    pane.stuck = isNearBottom(list);
    if (pane.stuck) setUnread(pane, 0);
    showJump(pane);
  });
  // The list's own box changes (the members or typing line appears, the composer grows,
  // the window turns): at the bottom it stays there. This was the newest message cut off.
  new ResizeObserver(() => pane.stuck && toBottom(pane)).observe(list);
  // An image takes its height once loaded when its size was not in the HTML.
  list.addEventListener("load", () => pane.stuck && toBottom(pane), true);
  const jump = pane.el.querySelector(".jump-latest");
  jump.addEventListener("click", () => {
    const hadFocus = jump.contains(document.activeElement);
    scrollToLatest(pane);
    // The button goes away: the focus goes to the conversation, not to the page's top.
    if (hadFocus) list.focus({ preventScroll: true });
  });
}

export function toBottom(pane) {
  pane.list.scrollTop = pane.list.scrollHeight;
  pane.stuck = true;
}

export function scrollToLatest(pane) {
  toBottom(pane);
  setUnread(pane, 0);
  showJump(pane);
  // Once more after the layout of what was just added (images, fonts, late styles).
  requestAnimationFrame(() => pane.stuck && toBottom(pane));
}

// Makes a change of the list without moving what the user sees: at the bottom, the
// newest message stays in view; further up, the first message in view stays where it is
// (older pages added above, a message growing or going away above it). Scroll anchoring
// is off for the list (messages.css): this does it for every change, the same way.
export function keepPlace(pane, change) {
  const list = pane.list;
  const anchor = pane.stuck ? null : firstInView(list);
  const before = anchor?.getBoundingClientRect().top;
  const result = change();
  if (pane.stuck) {
    // (Also when the change put the user there: their own new message.)
    toBottom(pane);
    requestAnimationFrame(() => pane.stuck && toBottom(pane));
  } else if (anchor) {
    // The same message, or its newer state (an edit replaces the element).
    const now = anchor.isConnected ? anchor : list.querySelector(`.msg[data-id="${Number(anchor.dataset.id)}"]`);
    if (now) list.scrollTop += now.getBoundingClientRect().top - before;
  }
  showJump(pane);
  return result;
}

// The first message in view: a message stays, where day lines and the "New messages"
// line move or go as messages come in above.
function firstInView(list) {
  const top = list.getBoundingClientRect().top;
  for (const item of list.querySelectorAll(":scope > .msg")) {
    if (item.getBoundingClientRect().bottom > top) return item;
  }
  return null;
}

// The count of new messages: in the pane's header, and on "Jump to latest".
export function setUnread(pane, count) {
  pane.unread = count;
  const badge = pane.el.querySelector(".unread");
  badge.textContent = count ? `${count} new` : "";
  badge.hidden = count === 0;
  const figure = pane.el.querySelector(".jump-count");
  if (figure) figure.textContent = count ? `${count} new` : "";
}

// More than a screen above the newest message.
function showJump(pane) {
  const list = pane.list;
  const far = list.scrollHeight - list.scrollTop - list.clientHeight > list.clientHeight;
  const jump = pane.el.querySelector(".jump-latest");
  if (jump.hidden === far) jump.hidden = !far;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  for (const pane of panes.values()) if (isNearBottom(pane.list)) setUnread(pane, 0);
});
