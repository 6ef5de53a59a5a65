// Attaching files in a pane's composer: the "Attach a file" button (its hidden file input
// takes several), files dropped anywhere on the pane, and an image pasted into the
// composer. Each file is uploaded at once (XMLHttpRequest, for its progress) to
// POST /rooms/<id>/attachments/ (attachments/views.py) and shown as a chip with its name,
// a progress bar and a remove button; a refusal is said in the composer's error line,
// in the words of the error table (rooms/errors.py). A send takes the uploaded files'
// ids with it (outbox.js), waiting first for the uploads still under way. The controls
// come from templates/attachments/attach_button.html; a page without them has none of
// this.
import { showError } from "./controls.js";
import { errorText } from "./errors.js";
import { isNearBottom } from "./state.js";

let nextKey = 0;
// What an answer without our JSON means: a CSRF refusal (a session that ended), or the
// body limit of a proxy in front.
const WITHOUT_CODE = { 403: "USER_HAS_TO_LOGIN", 413: "FILE_TOO_LARGE" };

// Bytes as people read them, as the server writes them (attachments/sizes.py human_size).
export function humanSize(size) {
  if (size < 1024) return size === 1 ? "1 byte" : `${size} bytes`;
  let value = size;
  for (const unit of ["KB", "MB", "GB"]) {
    value /= 1024;
    if (Math.round(value * 10) / 10 < 1024) return `${oneDecimal(value)} ${unit}`;
  }
  return `${oneDecimal(value / 1024)} TB`;
}

function oneDecimal(value) {
  return value.toFixed(1).replace(/\.0$/, "");
}

export function wireAttachments(pane, roomId) {
  const button = pane.el.querySelector(".attach-button");
  if (!button) return;
  const input = pane.el.querySelector(".attach-input");
  const textarea = pane.el.querySelector(".composer textarea");
  pane.uploads = []; // {key, name, size, state: "uploading" | "done", attachment, xhr, el}
  pane.afterUploads = null; // a send waiting for the uploads under way
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    addFiles(pane, roomId, [...input.files]);
    input.value = ""; // the same file may be chosen again
  });
  pane.el.addEventListener("dragover", (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "copy";
    pane.el.classList.add("room-drop");
  });
  pane.el.addEventListener("dragleave", (event) => {
    if (!pane.el.contains(event.relatedTarget)) pane.el.classList.remove("room-drop");
  });
  pane.el.addEventListener("drop", (event) => {
    pane.el.classList.remove("room-drop");
    if (!carriesFiles(event)) return;
    event.preventDefault(); // the browser would open the file instead
    addFiles(pane, roomId, [...event.dataTransfer.files]);
  });
  textarea.addEventListener("paste", (event) => {
    const data = event.clipboardData;
    const files = data ? [...data.files] : [];
    // Text copied from a document often comes with a picture of itself: text wins.
    if (!files.length || data.types.includes("text/plain")) return;
    event.preventDefault();
    addFiles(pane, roomId, files);
  });
}

function carriesFiles(event) {
  return [...(event.dataTransfer?.types || [])].includes("Files");
}

function controls(pane) {
  return pane.el.querySelector(".attach-button").dataset;
}

function addFiles(pane, roomId, files) {
  const { maxBytes, maxFiles } = controls(pane);
  for (const file of files) {
    if (pane.uploads.length >= Number(maxFiles)) {
      showError(pane, errorText("TOO_MANY_FILES"));
      break;
    }
    if (file.size > Number(maxBytes)) {
      showError(pane, `${file.name}: ${errorText("FILE_TOO_LARGE")}`);
      continue;
    }
    upload(pane, roomId, file);
  }
}

function upload(pane, roomId, file) {
  const entry = { key: ++nextKey, name: file.name || "file", size: file.size, state: "uploading" };
  entry.el = chip(pane, entry);
  pane.uploads.push(entry);
  showError(pane, "");
  const xhr = new XMLHttpRequest();
  entry.xhr = xhr;
  xhr.open("POST", controls(pane).uploadUrl.replace("/0/", `/${roomId}/`));
  xhr.responseType = "json";
  // The page's CSRF token, as its forms send it ({% csrf_token %} beside the button).
  xhr.setRequestHeader("X-CSRFToken", pane.el.querySelector(".composer [name=csrfmiddlewaretoken]")?.value || "");
  const progress = entry.el.querySelector("progress");
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
  });
  xhr.addEventListener("load", () => {
    if (xhr.status === 201 && xhr.response?.id) uploaded(pane, entry, xhr.response);
    else refused(pane, entry, xhr.response?.error || WITHOUT_CODE[xhr.status] || "SERVER_ERROR");
  });
  xhr.addEventListener("error", () => refused(pane, entry, "SERVICE_UNAVAILABLE"));
  const form = new FormData();
  form.append("file", file, entry.name);
  xhr.send(form);
  showChips(pane);
}

function chip(pane, entry) {
  const el = document.createElement("li");
  el.className = "attachment-chip";
  const name = document.createElement("span");
  name.className = "attachment-name";
  name.textContent = entry.name;
  const size = document.createElement("span");
  size.className = "attachment-size";
  size.textContent = humanSize(entry.size);
  const progress = document.createElement("progress");
  progress.max = 100;
  progress.value = 0;
  progress.setAttribute("aria-label", `Uploading ${entry.name}`);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "attachment-remove";
  remove.title = `Remove ${entry.name}`;
  const label = document.createElement("span");
  label.className = "visually-hidden";
  label.textContent = `Remove ${entry.name}`;
  const cross = document.createElement("span");
  cross.setAttribute("aria-hidden", "true");
  cross.textContent = "×";
  remove.append(cross, label);
  remove.addEventListener("click", () => {
    const next = el.nextElementSibling?.querySelector("button") || pane.el.querySelector(".composer textarea");
    removeEntry(pane, entry);
    next.focus(); // the focus was on the button that is gone
  });
  el.append(name, " ", size, progress, remove);
  list(pane).append(el);
  return el;
}

function list(pane) {
  let box = pane.el.querySelector(".attachments");
  if (!box) {
    box = document.createElement("div");
    box.className = "attachments";
    box.hidden = true; // until showChips(), which keeps the conversation's place
    const items = document.createElement("ul");
    items.className = "attachment-list";
    items.setAttribute("aria-label", "Files to send");
    const note = document.createElement("p");
    note.className = "attachment-note";
    note.setAttribute("aria-live", "polite");
    box.append(items, note);
    pane.el.querySelector(".composer").before(box);
  }
  return box.querySelector(".attachment-list");
}

function uploaded(pane, entry, attachment) {
  entry.state = "done";
  entry.attachment = attachment;
  entry.el.querySelector(".attachment-name").textContent = attachment.name; // as cleaned
  entry.xhr = null;
  entry.el.querySelector("progress")?.remove();
  entry.el.classList.add("attachment-done");
  settle(pane);
}

function refused(pane, entry, code) {
  if (pane.afterUploads) {
    pane.afterUploads = null; // the send waited for this file: it is the user's to send again
    note(pane, "");
  }
  removeEntry(pane, entry);
  showError(pane, `${entry.name}: ${errorText(code)}`);
}

function removeEntry(pane, entry) {
  entry.xhr?.abort();
  entry.el.remove();
  pane.uploads = pane.uploads.filter((other) => other !== entry);
  // An upload removed before it is sent stays on the server unseen, and is deleted with
  // the other unsent ones (manage.py delete_unsent_attachments).
  settle(pane);
}

function showChips(pane) {
  const box = pane.el.querySelector(".attachments");
  // The chips take room from the conversation: whoever read its newest message still does.
  const stick = isNearBottom(pane.list);
  if (box) box.hidden = pane.uploads.length === 0;
  if (stick) pane.list.scrollTop = pane.list.scrollHeight;
  // The composer may be sent empty when it carries files.
  pane.el.querySelector(".composer textarea").required = pane.uploads.length === 0;
}

function note(pane, text) {
  const line = pane.el.querySelector(".attachment-note");
  if (line) line.textContent = text;
}

function settle(pane) {
  showChips(pane);
  if (pane.afterUploads && !uploadsUnderWay(pane)) {
    const send = pane.afterUploads;
    pane.afterUploads = null;
    note(pane, "");
    send();
  }
}

export function uploadsUnderWay(pane) {
  return Boolean(pane.uploads?.some((entry) => entry.state === "uploading"));
}

// A send asked for while files are still uploading: it goes once they are all in.
export function sendWhenUploaded(pane, send) {
  pane.afterUploads = send;
  note(pane, "Sending once the files are uploaded…");
}

// The uploaded files a send carries (what outbox.js keeps: id, name, size, type), taken
// out of the composer.
export function takeAttachments(pane) {
  const taken = (pane.uploads || [])
    .filter((entry) => entry.state === "done")
    .map(({ attachment: a }) => ({ id: a.id, name: a.name, size: a.size, content_type: a.content_type }));
  for (const entry of pane.uploads || []) if (entry.state === "done") entry.el.remove();
  if (pane.uploads) pane.uploads = pane.uploads.filter((entry) => entry.state !== "done");
  if (pane.uploads) showChips(pane);
  return taken;
}

// A send refused for good: its files go back into the composer, to be sent again.
export function giveBackAttachments(pane, attachments) {
  if (!pane.uploads) return;
  for (const attachment of attachments) {
    if (pane.uploads.some((entry) => entry.attachment?.id === attachment.id)) continue;
    const entry = { key: ++nextKey, name: attachment.name, size: attachment.size, state: "done", attachment };
    entry.el = chip(pane, entry);
    entry.el.querySelector("progress").remove();
    entry.el.classList.add("attachment-done");
    pane.uploads.push(entry);
  }
  showChips(pane);
}
