// The server's error codes, defined once in rooms/errors.py and rendered into the lobby
// as json_script "chat-errors": {CODE: {text, treatment}}. The page keeps no copy of
// its own, so a new code or a reworded text needs no change here.
const ERRORS = readErrors();

function readErrors() {
  const element = document.getElementById("chat-errors");
  if (element) return JSON.parse(element.textContent);
  // The chat still works without it, showing codes instead of texts.
  console.error('chat: no #chat-errors in the page (json_script "chat-errors")');
  return {};
}

function entry(code) {
  return Object.hasOwn(ERRORS, code) ? ERRORS[code] : undefined;
}

// What the user is told; a code the table does not know is shown as it is.
export function errorText(code) {
  return entry(code)?.text || code;
}

// Refusals that a retry cannot fix: the text goes back into the composer.
export function isFinalRefusal(code) {
  return entry(code)?.treatment === "final";
}

// Refusals that pass by themselves (the database or Redis is down for a moment):
// the message stays pending and goes again after a growing delay.
export function retriesLater(code) {
  return entry(code)?.treatment === "retry_later";
}
