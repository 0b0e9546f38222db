/* The stopwatch of a timed (duration) question: its start time is kept on this phone, so it runs on while the
   page is left or reloaded; stopping writes whole seconds into the question's input. */
import { WATCH, store, load, drop } from "./common.js";

/* Seconds written m:ss. */
export function format(seconds) { var m = Math.floor(seconds / 60), s = seconds % 60; return m + ":" + (s < 10 ? "0" : "") + s; }
/* The seconds a shopper typed, as the server reads them (95 or 1:35); null for anything else. */
export function seconds(text) {
  var t = String(text || "").trim(), m = /^(\d{1,3}):([0-5]\d)$/.exec(t);
  if (m) return +m[1] * 60 + +m[2];
  return /^\d+$/.test(t) ? +t : null;
}
function shownFor(text) { var secs = seconds(text); return secs === null ? "0:00" : format(secs); }

export function stopwatch(box, labels, visit, key) {
  var input = box.querySelector("input");
  var memo = WATCH + visit + ":" + key;
  var started = null, timer = null;
  var toggle = document.createElement("button");
  toggle.type = "button"; toggle.className = "button stopwatch-toggle"; toggle.textContent = labels.start;
  var reset = document.createElement("button");
  reset.type = "button"; reset.className = "button stopwatch-reset"; reset.textContent = labels.reset;
  var shown = document.createElement("output");
  shown.className = "stopwatch-display"; shown.setAttribute("aria-live", "off");
  shown.textContent = shownFor(input.value);
  box.appendChild(shown); box.appendChild(toggle); box.appendChild(reset);
  function tick() { var secs = Math.max(0, Math.round((Date.now() - started) / 1000)); shown.textContent = format(secs); return secs; }
  function run(from) {
    started = from; timer = setInterval(tick, 250); tick();
    toggle.textContent = labels.stop; toggle.classList.add("is-running");
    box.setAttribute("data-running", "");
  }
  function halt() {
    clearInterval(timer); timer = null; drop(memo);
    toggle.textContent = labels.start; toggle.classList.remove("is-running");
    box.removeAttribute("data-running");
  }
  var kept = load(memo);
  if (typeof kept === "number" && kept <= Date.now()) run(kept);
  toggle.addEventListener("click", function () {
    if (timer === null) {
      var already = seconds(input.value) || 0;   // a typed time carries on from where it stands
      var from = Date.now() - already * 1000;
      store(memo, from);
      run(from);
    } else {
      var secs = tick();
      halt();
      input.value = String(secs);
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  // A time typed by hand shows on the stopwatch at once.
  input.addEventListener("input", function () { if (timer === null) shown.textContent = shownFor(input.value); });
  reset.addEventListener("click", function () {
    if (timer !== null) halt();
    input.value = ""; shown.textContent = "0:00";
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
}
