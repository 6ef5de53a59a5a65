// The composer's own feedback: a character counter once the text is within a tenth of the
// limit ("1,950 / 2,000"), said aloud only as the text goes over the limit or back under
// it (not at every key), and the error line under the conversation tied to the composer:
// the textarea is described by what shows of the reply bar, the error and the counter,
// and is aria-invalid while its text is over the limit or an error about it shows.
import { showError } from "./controls.js";
import { errorText } from "./errors.js";
import { maxLength } from "./state.js";

const NEAR = 0.9; // the counter shows from 90 % of the limit
const number = new Intl.NumberFormat();

// "That message is too long. 2,000 characters at most."
export function tooLongText() {
  return `${errorText("MESSAGE_TOO_LONG")} ${number.format(maxLength)} characters at most.`;
}

export function wireComposer(pane) {
  const roomId = pane.el.dataset.roomId;
  const textarea = pane.el.querySelector(".composer textarea");
  const error = pane.el.querySelector(".composer-error");
  error.id = `composer-error-${roomId}`;
  pane.el.querySelector(".composer-count").id = `composer-count-${roomId}`;
  pane.overLimit = false;
  textarea.addEventListener("input", () => {
    countCharacters(pane);
    // Shortened enough: the error that said the text was too long has done its job.
    const error = pane.el.querySelector(".composer-error");
    if (!pane.overLimit && !error.hidden && error.textContent === tooLongText()) showError(pane, "");
  });
  // Every module writes to the error line (sends, uploads, edits, joins): the composer
  // follows what it shows. The text can also change without an input event (a send
  // clears it, a refused one gives it back): counted again then too.
  new MutationObserver(() => {
    countCharacters(pane);
    describeComposer(pane);
  }).observe(error, { childList: true, characterData: true, subtree: true, attributes: true });
}

// Refuses a text over the limit, saying the limit: true when it did.
export function refuseTooLong(pane) {
  const textarea = pane.el.querySelector(".composer textarea");
  if (textarea.value.length <= maxLength) return false;
  showError(pane, tooLongText());
  textarea.focus();
  return true;
}

export function countCharacters(pane) {
  const length = pane.el.querySelector(".composer textarea").value.length;
  const count = pane.el.querySelector(".composer-count");
  const over = length > maxLength;
  count.hidden = length < maxLength * NEAR;
  count.textContent = count.hidden ? "" : `${number.format(length)} / ${number.format(maxLength)}`;
  count.classList.toggle("composer-count-over", over);
  if (over !== pane.overLimit) {
    pane.overLimit = over;
    pane.el.querySelector(".composer-limit").textContent = over
      ? `Over the limit: ${number.format(maxLength)} characters at most.`
      : "Within the limit again.";
  }
  describeComposer(pane);
}

export function describeComposer(pane) {
  const textarea = pane.el.querySelector(".composer textarea");
  if (!textarea) return;
  const parts = [
    pane.el.querySelector(".reply-bar:not([hidden]) .reply-bar-text"),
    pane.el.querySelector(".composer-error:not([hidden])"),
    pane.el.querySelector(".composer-count:not([hidden])"),
  ];
  const ids = parts.filter((part) => part?.id && part.textContent.trim()).map((part) => part.id);
  if (ids.length) textarea.setAttribute("aria-describedby", ids.join(" "));
  else textarea.removeAttribute("aria-describedby");
  // An error line while the room is joined is about what the user tried to send or
  // change; one while it waits to be joined (a join limit, an outage) is not their text.
  const error = parts[1] && parts[1].textContent.trim() && pane.joined && !pane.waiting;
  if (error || pane.overLimit) textarea.setAttribute("aria-invalid", "true");
  else textarea.removeAttribute("aria-invalid");
}
