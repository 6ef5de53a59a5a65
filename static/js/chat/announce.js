// What screen readers hear of a conversation: its list sits in a role="log" live region,
// which announces what is added to it. Only new messages, as they come, should be: a
// join's backlog, older pages, a resume after a reconnect, edits and reactions (the
// message is replaced by its newer state) and the reading aids moved around them would
// otherwise be read out by the dozen. Those changes are made with the region's
// aria-live "off", set back to "polite" once the browser has taken them in (its
// accessibility tree is updated after the task that changed the page, at the next frame).
const SETTLE_MS = 400;
// A live message this soon after a quiet change is added quietly too: turning the region
// back on at once could have the browser read out the history of the same frame.
const SAME_FRAME_MS = 100;

export function quietly(pane, change) {
  pane.log.setAttribute("aria-live", "off");
  pane.quietAt = performance.now();
  clearTimeout(pane.quietTimer);
  pane.quietTimer = setTimeout(() => pane.log.setAttribute("aria-live", "polite"), SETTLE_MS);
  return change();
}

// A new live message: announced, unless history went in a moment ago.
export function aloud(pane, change) {
  if (pane.log.getAttribute("aria-live") === "off" && performance.now() - pane.quietAt > SAME_FRAME_MS) {
    clearTimeout(pane.quietTimer);
    pane.log.setAttribute("aria-live", "polite");
  }
  return change();
}
