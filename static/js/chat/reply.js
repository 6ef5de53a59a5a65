// Replying: the reply bar over the composer names the message the next send answers (its
// author and the start of its text), until it is sent or cancelled (× or Escape).
import { describeComposer } from "./composer.js";
import { numberOf } from "./controls.js";
import { rawText } from "./editor.js";

const EXCERPT_CHARS = 100;

export function startReply(pane, msg) {
  const id = numberOf(msg);
  const author = msg.dataset.author || "Server";
  const text = rawText(pane, msg).replace(/\s+/g, " ").trim();
  const excerpt = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
  pane.replyTo = { id, author, excerpt };
  const bar = pane.el.querySelector(".reply-bar");
  bar.querySelector(".reply-bar-author").textContent = author;
  bar.querySelector(".reply-bar-excerpt").textContent = excerpt;
  bar.hidden = false;
  describeComposer(pane); // the reply bar describes the composer (its error line too)
  pane.el.querySelector(".composer textarea").focus();
}

export function cancelReply(pane) {
  pane.replyTo = null;
  const bar = pane.el.querySelector(".reply-bar");
  if (bar) bar.hidden = true;
  describeComposer(pane);
}
