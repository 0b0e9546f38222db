/* Rubric editor enhancements. Everything works without this file: the Up/Down buttons reorder, the forms submit.
   Adds: drag-and-drop reordering of sections and questions, confirmation of destructive buttons, and showing
   only the question fields that apply to the chosen type. */
(function () {
  "use strict";

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  var typeSelect = document.getElementById("type");
  if (typeSelect) {
    var update = function () {
      document.querySelectorAll("[data-types]").forEach(function (block) {
        var types = block.getAttribute("data-types").split(" ");
        block.hidden = types.indexOf(typeSelect.value) === -1 && !block.querySelector(".field-error");
      });
    };
    typeSelect.addEventListener("change", update);
    update();
  }

  var effect = document.getElementById("critical_effect");
  var capBlock = document.querySelector("[data-effect]");
  if (effect && capBlock) {
    var showCap = function () {
      capBlock.hidden = effect.value !== capBlock.getAttribute("data-effect") && !capBlock.querySelector(".field-error");
    };
    effect.addEventListener("change", showCap);
    showCap();
  }

  var outline = document.querySelector(".outline[data-reorder-url]");
  if (!outline || !outline.getAttribute("data-reorder-url")) { return; }
  var url = outline.getAttribute("data-reorder-url");
  var csrf = outline.getAttribute("data-csrf");

  function send(section, order) {
    var body = new URLSearchParams();
    body.set("csrf_token", csrf);
    if (section !== null) { body.set("section", section); }
    body.set("order", order.join(","));
    fetch(url, { method: "POST", body: body, headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function () { window.location.reload(); });
  }

  function sortable(list, itemSelector, sectionOf) {
    var dragged = null;
    list.querySelectorAll(":scope > " + itemSelector).forEach(function (item) {
      item.setAttribute("draggable", "true");
      item.addEventListener("dragstart", function (event) {
        event.stopPropagation();
        dragged = item;
        item.classList.add("is-dragging");
        event.dataTransfer.effectAllowed = "move";
      });
      item.addEventListener("dragend", function () { item.classList.remove("is-dragging"); dragged = null; });
      item.addEventListener("dragover", function (event) {
        if (!dragged || dragged.parentNode !== list) { return; }
        event.preventDefault();
        event.stopPropagation();
        item.classList.add("drag-over");
      });
      item.addEventListener("dragleave", function () { item.classList.remove("drag-over"); });
      item.addEventListener("drop", function (event) {
        item.classList.remove("drag-over");
        if (!dragged || dragged === item || dragged.parentNode !== list) { return; }
        event.preventDefault();
        event.stopPropagation();
        list.insertBefore(dragged, item);
        var order = Array.prototype.map.call(list.querySelectorAll(":scope > " + itemSelector), function (el) {
          return el.getAttribute("data-index");
        });
        send(sectionOf, order);
      });
    });
  }

  sortable(outline, ".outline-section", null);
  outline.querySelectorAll(".outline-questions").forEach(function (list) {
    sortable(list, ".outline-question", list.getAttribute("data-section"));
  });
})();
