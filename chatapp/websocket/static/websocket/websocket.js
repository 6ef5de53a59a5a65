// The client runtime of the websocket core: sockets that reconnect by themselves,
// server commands and <turbo-stream> frames applied to the page, and callbacks
// declared in HTML. Plain ES module, no build step. The chat UI lives in chat.js.
//
//   Exports: open, close, send, registerCommand, runCommands, applyTurboStreams, showToast.
//
// Elements with data-ws-open="URL" get a socket when the page loads.
// Elements with data-callback="URL" send {"args": [...]} on their event.

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30000;

// The protocol's constants, defined once on the server (chatapp/websocket/codes.py) and
// rendered into the page by {% websocket_runtime %}: command names, close codes (with
// their names, whether to reconnect after them and what to say), error texts.
export const contract = readContract();
const CLOSE_LOGGED_OUT = closeCode("logged_out");

function readContract() {
  const element = document.getElementById("websocket-contract");
  if (element) return JSON.parse(element.textContent);
  // Without it the runtime cannot tell a final close from a passing one: say so loudly.
  console.error("websocket: no #websocket-contract in the page; use {% websocket_runtime %}");
  return { commands: [], closes: {}, errors: {} };
}

function closeCode(name) {
  const code = Object.keys(contract.closes).find((c) => contract.closes[c].name === name);
  return code === undefined ? undefined : Number(code);
}

const sockets = new Map(); // absolute URL -> ManagedSocket
let loggedOut = false; // a socket was closed with 4401: say so until the page reloads

/** Turn a path ("/ws/x/") or a ws(s):// URL into the absolute URL used as the socket's key. */
export function absoluteUrl(url) {
  if (/^wss?:\/\//.test(url)) return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${url.startsWith("/") ? "" : "/"}${url}`;
}

class ManagedSocket {
  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols; // websocket subprotocols offered at every (re)connect
    this.queue = []; // frames sent while not connected, flushed in order on open
    this.attempt = 0;
    this.timer = null;
    this.state = "connecting";
    this.closedByUs = false;
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(this.url, this.protocols);
    this.ws = ws;
    ws.addEventListener("open", () => {
      const reconnected = this.attempt > 0;
      this.attempt = 0;
      this.setState("open");
      // Listeners restore their state first (re-join rooms), then queued frames go.
      emit("ws:open", { url: this.url, reconnected });
      for (const frame of this.queue.splice(0)) ws.send(frame);
    });
    ws.addEventListener("message", (event) => handleFrame(this.url, event.data));
    ws.addEventListener("close", (event) => this.onClose(ws, event));
  }

  onClose(ws, event) {
    if (ws !== this.ws) return; // an older socket we already replaced
    emit("ws:close", { url: this.url, code: event.code });
    if (this.closedByUs) return;
    if (contract.closes[event.code]?.reconnect === false) {
      // Retrying cannot help (logged out, not allowed).
      sockets.delete(this.url);
      this.setState(event.code === CLOSE_LOGGED_OUT ? "logged-out" : "denied");
      if (event.code === CLOSE_LOGGED_OUT) loggedOut = true;
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    this.attempt += 1;
    // Exponential backoff with jitter, so a restarted server is not hit by every tab at once.
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.attempt - 1));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.setState("reconnecting");
    this.timer = setTimeout(() => this.connect(), delay);
  }

  /** Reconnect at once if we are waiting out a backoff (back online, tab visible). */
  retryNow() {
    if (this.timer !== null) this.connect();
  }

  send(data) {
    const frame = typeof data === "string" ? data : JSON.stringify(data);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
    else this.queue.push(frame);
  }

  close() {
    this.closedByUs = true;
    clearTimeout(this.timer);
    this.ws.close(1000);
    this.setState("closed");
  }

  setState(state) {
    this.state = state;
    renderStatus();
  }
}

/** Open (or return the already open) auto-reconnecting socket for `url`, offering
 * the websocket subprotocols in `protocols` (e.g. ["chat.v2"]). */
export function open(url, { protocols = [] } = {}) {
  const key = absoluteUrl(url);
  let socket = sockets.get(key);
  if (!socket) {
    socket = new ManagedSocket(key, protocols);
    sockets.set(key, socket);
  }
  return socket;
}

/** Close the socket for `url` for good (no reconnect). */
export function close(url) {
  const key = absoluteUrl(url);
  const socket = sockets.get(key);
  if (socket) {
    sockets.delete(key);
    socket.close();
  }
}

/** Send JSON (or a string) on the socket for `url`, opening it if needed; queued until connected. */
export function send(url, data) {
  open(url).send(data);
}

export function socketState(url) {
  return sockets.get(absoluteUrl(url))?.state ?? "closed";
}

function emit(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}

// Connection state, shown in #ws-status -------------------------------------------

// A page's first connection takes a moment: "Connecting…" shows only once it takes longer
// than this, so the bar (which pushes the page down) does not flash at every page load.
const CONNECTING_QUIET_MS = 1500;
let connectingSince = null;

function connectingTooLong(states) {
  if (!states.includes("connecting")) {
    connectingSince = null;
    return false;
  }
  if (connectingSince === null) {
    connectingSince = Date.now();
    setTimeout(renderStatus, CONNECTING_QUIET_MS);
  }
  return Date.now() - connectingSince >= CONNECTING_QUIET_MS;
}

function renderStatus() {
  const status = document.getElementById("ws-status");
  if (!status) return;
  const states = [...sockets.values()].map((s) => s.state);
  if (loggedOut) {
    const login = document.createElement("a");
    login.href = `${status.dataset.loginUrl}?next=${encodeURIComponent(location.pathname)}`;
    login.textContent = "Log in again";
    status.replaceChildren(`${contract.closes[CLOSE_LOGGED_OUT]?.text ?? ""} `, login);
    status.hidden = false;
  } else {
    let text = "";
    // The browser's own word first: an emulated or real offline state can leave a socket
    // looking open for a while, and nothing sent meanwhile arrives.
    if (!navigator.onLine) text = "You are offline. What you send waits until you are back.";
    else if (states.includes("reconnecting")) text = "Reconnecting…";
    else if (connectingTooLong(states)) text = "Connecting…";
    status.textContent = text;
    status.hidden = text === "";
  }
  const waiting = states.some((s) => s === "connecting" || s === "reconnecting");
  const state = !navigator.onLine ? "offline" : waiting ? "waiting" : "open";
  if (document.documentElement.dataset.ws !== state) {
    document.documentElement.dataset.ws = state;
    emit("ws:state", { state }); // pages mark what waits, and what may be stale
  }
}

window.addEventListener("online", () => {
  renderStatus();
  sockets.forEach((s) => s.retryNow());
});
window.addEventListener("offline", renderStatus);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") sockets.forEach((s) => s.retryNow());
});

// Incoming frames ----------------------------------------------------------------

function handleFrame(url, text) {
  if (text.trimStart().startsWith("<")) {
    applyTurboStreams(text);
    return;
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    console.error("websocket: frame is neither JSON nor HTML", text);
    return;
  }
  handleData(url, data);
}

function handleData(url, data) {
  if (Array.isArray(data)) runCommands(data);
  else if (Array.isArray(data?.batch)) {
    // Several frames the server sent together: each as if it had come alone.
    for (const item of data.batch) handleData(url, item);
  } else emit("ws:message", { url, data });
}

/** Parse trusted server HTML (already escaped by Django templates) into nodes. */
function fragment(html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  return template.content;
}

function byId(id) {
  const element = document.getElementById(id);
  if (!element) console.error(`websocket: no element #${id}`);
  return element;
}

// The seven DOM actions, shared by commands and <turbo-stream> elements.
const domActions = {
  append: (el, html) => el.append(fragment(html)),
  prepend: (el, html) => el.prepend(fragment(html)),
  replace: (el, html) => el.replaceWith(fragment(html)),
  update: (el, html) => el.replaceChildren(fragment(html)),
  remove: (el) => el.remove(),
  before: (el, html) => el.before(fragment(html)),
  after: (el, html) => el.after(fragment(html)),
};

export function showToast(message) {
  const toasts = document.getElementById("toasts");
  if (!toasts) return;
  const toast = document.createElement("div");
  toast.className = "toast";
  toast.setAttribute("role", "alert");
  toast.textContent = String(message);
  const dismiss = document.createElement("button");
  dismiss.type = "button";
  dismiss.setAttribute("aria-label", "Dismiss");
  dismiss.textContent = "×";
  dismiss.addEventListener("click", () => toast.remove());
  toast.append(dismiss);
  toasts.append(toast);
  setTimeout(() => toast.remove(), 8000);
}

const commands = {
  alert: (message) => showToast(message),
  "console.log": (...args) => console.log(...args),
  "console.error": (...args) => console.error(...args),
  focus: (id) => byId(id)?.focus(),
  redirect: (url) => location.assign(url),
  "websocket.open": (url) => open(url),
  "websocket.close": (url) => close(url),
  error: (code, detail) => {
    console.error(`websocket error ${code}: ${detail}`);
    emit("ws:error", { code, detail });
  },
  permission_denied: (path) => {
    // Sections opened with data-ws-open show their [data-ws-denied] part instead.
    for (const el of document.querySelectorAll("[data-ws-open]")) {
      if (new URL(absoluteUrl(el.dataset.wsOpen)).pathname !== path) continue;
      el.querySelectorAll("[data-ws-denied]").forEach((part) => (part.hidden = false));
      el.querySelectorAll("[data-ws-allowed]").forEach((part) => (part.hidden = true));
    }
    emit("ws:permission-denied", { path });
  },
};
for (const [name, action] of Object.entries(domActions)) {
  commands[name] = (id, html) => {
    const el = byId(id);
    if (el) action(el, html);
  };
}

// Every command the server may send has its action here (the contract names them).
for (const name of contract.commands) {
  if (!(name in commands)) console.error(`websocket: the runtime has no action for ${name}`);
}

/** The names of the commands this runtime carries out. */
export function commandNames() {
  return Object.keys(commands);
}

/** Let an application add its own client command. */
export function registerCommand(name, fn) {
  commands[name] = fn;
}

export function runCommands(list) {
  for (const [name, ...args] of list) {
    const fn = commands[name];
    if (fn) fn(...args);
    else console.error(`websocket: unknown command ${name}`);
  }
}

/** Apply <turbo-stream action="..." target="..."><template>…</template></turbo-stream> elements. */
export function applyTurboStreams(html) {
  for (const stream of fragment(html).querySelectorAll("turbo-stream")) {
    const action = domActions[stream.getAttribute("action")];
    const target = byId(stream.getAttribute("target"));
    if (!action || !target) continue;
    const template = stream.querySelector("template");
    action(target, template ? template.innerHTML : "");
  }
}

// Callbacks declared in HTML ---------------------------------------------------------

function defaultEvent(el) {
  if (el.tagName === "FORM") return "submit";
  if (el.dataset.callbackWhen) return "keydown";
  if (el.tagName === "SELECT" || (el.tagName === "INPUT" && el.type !== "button")) return "change";
  return "click";
}

function fireCallback(el, event) {
  const when = el.dataset.callbackWhen;
  if (when && event.key !== when) return;
  if (when === "Enter" && event.shiftKey) return; // Shift+Enter stays a newline
  event.preventDefault();
  const inputs = (el.dataset.callbackInputs || "").split(/\s+/).filter(Boolean).map((id) => byId(id));
  const args = [...JSON.parse(el.dataset.callbackArgs || "[]"), ...inputs.map((i) => i?.value ?? null)];
  send(el.dataset.callback, { args });
  if ("callbackClear" in el.dataset) inputs.forEach((i) => i && (i.value = ""));
}

for (const type of ["click", "keydown", "change", "submit"]) {
  document.addEventListener(type, (event) => {
    const el = event.target.closest?.("[data-callback]");
    if (el && (el.dataset.callbackEvent || defaultEvent(el)) === type) fireCallback(el, event);
  });
}

function openDeclaredSockets() {
  document.querySelectorAll("[data-ws-open]").forEach((el) => open(el.dataset.wsOpen));
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", openDeclaredSockets);
else openDeclaredSockets();

// For tests and debugging in the console.
window.chatSockets = { open, close, send, socketState, sockets };
