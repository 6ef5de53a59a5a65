// The features page: its forms post to views that send from the backend.
import { showToast } from "../websocket/websocket.js";

for (const form of document.querySelectorAll("form.js-post")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    if (response.ok) form.reset();
    else showToast("The server refused that.");
  });
}
