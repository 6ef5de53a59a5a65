// What the message actions share: their buttons and icons, a message's number, the pane's
// error line (under the conversation, over the composer) that says why an action could
// not be done, and how a picker or confirmation on a message goes away.

// Our own constant markup (never user text): 16 px line icons in the text colour.
const ICONS = {
  react:
    '<circle cx="8" cy="8" r="6.25"/><path d="M5.5 9.5c.6 1 1.5 1.5 2.5 1.5s1.9-.5 2.5-1.5"/>' +
    '<path d="M6 6.3v.2M10 6.3v.2"/>',
  reply: '<path d="M6.5 3.5 2.5 7.5l4 4"/><path d="M2.5 7.5h7a4 4 0 0 1 4 4v1"/>',
  edit: '<path d="M10.5 2.5l3 3-8 8H2.5v-3z"/><path d="M9 4l3 3"/>',
  delete: '<path d="M2.5 4.5h11"/><path d="M6 4.5V2.8h4v1.7"/><path d="M4 4.5l.7 9h6.6l.7-9"/>',
};

export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.innerHTML = ICONS[name];
  return svg;
}

// A button named `label` (for a screen reader and, as its tooltip, for the mouse) showing
// `content`. The name is text, not aria-label: a label search for the composer ("Message")
// must not find "Edit message".
export function button(action, label, content, extra = {}) {
  const el = document.createElement("button");
  el.type = "button";
  el.dataset.action = action;
  el.append(content);
  if (label) {
    const name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = label;
    el.append(name);
    el.title = label;
  }
  Object.assign(el, extra);
  return el;
}

export function numberOf(msg) {
  return Number(msg.dataset.id);
}

export function showError(pane, text) {
  const box = pane.el.querySelector(".composer-error");
  box.textContent = text;
  box.hidden = !text;
}

// A picker or confirmation on a message goes: the message stops showing its actions as in
// use, and the focus the box held goes back to the button that opened it (or the message).
export function dismiss(msg, box, opener, { focus = false } = {}) {
  const hadFocus = box.contains(document.activeElement);
  box.remove();
  msg.classList.remove("msg-acting");
  if (focus || hadFocus) (opener || msg).focus();
}
