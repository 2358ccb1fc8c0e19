// The deal board: drag cards between stage columns (SortableJS), or move them with the
// keyboard (Alt+←/→ on a focused card) or the card's "Move to stage" menu. Every move is a
// POST to the server, which checks permissions and writes the event; the board is then
// reloaded so counts and totals stay right. Won and lost stages ask for a reason first.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var texts = window.PEYVAND_BOARD || {};
  var canWrite = board.getAttribute("data-can-write") === "1";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function showError(message) {
    var box = document.getElementById("board-error");
    box.textContent = message;
    box.classList.remove("d-none");
    setTimeout(function () { box.classList.add("d-none"); }, 6000);
  }

  function askReason(kind) {
    var dialog = document.getElementById("close-reason-dialog");
    var input = document.getElementById("close-reason-input");
    document.getElementById("close-reason-label").textContent = kind === "won" ? texts.wonLabel : texts.lostLabel;
    document.getElementById("close-reason-error").textContent = "";
    input.value = "";
    return new Promise(function (resolve) {
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue === "ok" && input.value.trim() ? input.value.trim() : null);
      });
      dialog.showModal();
      input.focus();
    });
  }

  function reloadBoard(focusDealId) {
    fetch(window.location.href, { headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("board");
        var totals = ["open-total", "weighted-total"];
        if (fresh) { board.innerHTML = fresh.innerHTML; }
        totals.forEach(function (id) {
          var source = doc.getElementById(id);
          var target = document.getElementById(id);
          if (source && target) { target.textContent = source.textContent; }
        });
        init();
        board.setAttribute("data-ready", "1");
        if (focusDealId) {
          var card = board.querySelector('[data-deal="' + focusDealId + '"]');
          if (card) { card.focus(); }
        }
      });
  }

  function move(dealId, stageId, position, kind) {
    board.setAttribute("data-ready", "0");
    var reasonStep = (kind === "won" || kind === "lost") ? askReason(kind) : Promise.resolve("");
    return reasonStep.then(function (reason) {
      if (reason === null) { reloadBoard(dealId); return; }
      var body = new URLSearchParams();
      body.append("stage", stageId);
      if (position !== null) { body.append("position", position); }
      if (reason) { body.append("close_reason", reason); }
      return fetch(board.getAttribute("data-move-url").replace("/0/", "/" + dealId + "/"), {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" },
        body: body,
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) {
          return response.json().catch(function () { return {}; }).then(function (data) {
            var errors = data.errors || {};
            var text = Object.keys(errors).map(function (key) { return errors[key].join(" "); }).join(" ");
            showError(text || texts.failed);
          });
        }
      }).catch(function () { showError(texts.failed); })
        .then(function () { reloadBoard(dealId); });
    });
  }

  function columnOf(element) { return element.closest(".board-column"); }

  function init() {
    if (!canWrite) { board.setAttribute("data-ready", "1"); return; }
    board.querySelectorAll(".board-cards").forEach(function (list) {
      Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card",
        animation: 120,
        filter: "select, a",
        preventOnFilter: false,
        onEnd: function (event) {
          var card = event.item;
          var column = columnOf(event.to);
          if (event.from === event.to && event.oldDraggableIndex === event.newDraggableIndex) { return; }
          move(card.getAttribute("data-deal"), column.getAttribute("data-stage"), event.newDraggableIndex, column.getAttribute("data-kind"));
        }
      });
    });
    board.querySelectorAll(".move-select").forEach(function (select) {
      select.addEventListener("change", function () {
        var card = select.closest(".deal-card");
        var target = board.querySelector('.board-column[data-stage="' + select.value + '"]');
        move(card.getAttribute("data-deal"), select.value, null, target ? target.getAttribute("data-kind") : "open");
      });
    });
  }

  board.addEventListener("keydown", function (event) {
    var card = event.target.closest && event.target.closest(".deal-card");
    if (!canWrite || !card || event.target !== card || !event.altKey) { return; }
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
    event.preventDefault();
    var columns = Array.prototype.slice.call(board.querySelectorAll(".board-column"));
    var index = columns.indexOf(columnOf(card));
    var rtl = document.documentElement.dir === "rtl";
    var forward = (event.key === "ArrowLeft") === rtl;  // "next stage" follows reading order
    var target = columns[index + (forward ? 1 : -1)];
    if (!target) { return; }
    move(card.getAttribute("data-deal"), target.getAttribute("data-stage"), 0, target.getAttribute("data-kind"));
  });

  init();
  board.setAttribute("data-ready", "1");
})();
