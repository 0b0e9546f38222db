/* Photo questions of a section: the preview of a picked (or kept) photo, the words beside it, and the one the
   server holds. A photo answer changes only by a newly picked file, "Remove photo" or N/A. */

/* The words beside a photo question (an error when `failed`). */
export function photoState(block, text, failed) {
  var el = block && block.querySelector("[data-photo-state]");
  if (el) { el.textContent = text || ""; el.classList.toggle("is-error", !!failed); }
}
/* Shows a photo kept on this phone (a File or Blob) as the question's preview. */
export function previewLocal(block, blob, messages) {
  var img = block && block.querySelector(".photo-preview");
  if (img) { img.src = URL.createObjectURL(blob); img.hidden = false; img.alt = messages.photo || ""; img.setAttribute("data-state", "local"); }
}
/* Shows what the server holds for the question: `photo` ({thumb_url}) or nothing. */
export function showStoredPhoto(block, photo, messages) {
  var img = block.querySelector(".photo-preview");
  var label = block.querySelector(".photo-button");
  if (!img) return;
  var remove = block.querySelector("[data-photo-remove]");
  if (photo) {
    if (img.getAttribute("src") !== photo.thumb_url) img.src = photo.thumb_url;
    img.hidden = false; img.alt = messages.photo || ""; img.removeAttribute("data-state");
    if (label && messages.retake) label.textContent = messages.retake;
  } else {
    img.removeAttribute("src"); img.hidden = true; img.alt = "";
    if (label && messages.take) label.textContent = messages.take;
  }
  if (remove) {
    // What is removed is gone: the box goes with it, so a later save cannot remove a newer photo.
    remove.checked = false;
    remove.closest("label").hidden = !photo;
    remove.disabled = !photo;
  }
}
/* This phone could not keep the picked photo: the question is as it was, and says so. */
export function forgetPicked(block, messages) {
  var input = block.querySelector('input[type="file"]');
  if (input) input.value = "";
  var img = block.querySelector(".photo-preview");
  if (img && img.getAttribute("data-state") === "local") { img.hidden = true; img.removeAttribute("src"); img.setAttribute("data-state", "failed"); }
  photoState(block, messages.photoLost, true);
}
/* Whether the photo question counts as answered on this page. */
export function photoAnswered(block, na, remove, picked) {
  if (na && na.checked) return true;
  if (remove && remove.checked && !picked) return false;
  var img = block.querySelector(".photo-preview");
  return !!img && !img.hidden && img.getAttribute("data-state") !== "failed";
}
/* Calls `picked(key, file)` when a photo is picked for a question of `form`, after showing its preview. */
export function wirePhotoInputs(form, messages, picked) {
  Array.prototype.slice.call(form.querySelectorAll("[data-photo]")).forEach(function (box) {
    var input = box.querySelector('input[type="file"]');
    var block = box.closest(".question");
    var key = block.getAttribute("data-key");
    var img = box.querySelector(".photo-preview");
    // A photo the server holds whose picture cannot be fetched (offline, and never shown on this phone before)
    // is said in words instead of a broken image; the question still counts as answered, and the picture is
    // fetched again once the phone is back online.
    function unavailable() {
      if (!img || img.hidden || !img.getAttribute("src") || img.getAttribute("data-state") === "local") return;
      img.setAttribute("data-state", "unavailable");
      photoState(block, messages.photoOffline || "");
    }
    if (img) {
      img.addEventListener("error", unavailable);
      img.addEventListener("load", function () {
        if (img.getAttribute("data-state") === "unavailable") { img.removeAttribute("data-state"); photoState(block, ""); }
      });
      if (img.complete && img.getAttribute("src") && !img.naturalWidth) unavailable();
      window.addEventListener("online", function () {
        if (img.getAttribute("data-state") === "unavailable") img.src = img.getAttribute("src");
      });
    }
    input.addEventListener("change", function () {
      if (!input.files || !input.files[0]) return;
      previewLocal(block, input.files[0], messages);
      var label = box.querySelector(".photo-button");
      if (label && messages.retake) label.textContent = messages.retake;
      picked(key, input.files[0]);
    });
  });
}
