/* Moving a project along the pipeline, from the kanban board or from the project page.
 *
 * Dragging a card to a later column (native HTML5 drag and drop), a card's "Move to…" menu and
 * the project page's move buttons all open one Bootstrap dialog. Its content is the server's move
 * form for that project and stage, so it asks for exactly what the service needs; it is submitted
 * (multipart, with the version the page showed) to the project's "move" action. A success
 * refreshes the board (or reloads the project page); a refusal shows the service's message in the
 * dialog and the card goes back to its column.
 */
(function () {
  "use strict";

  var dialogEl = document.getElementById("move-dialog");
  if (!dialogEl || !window.bootstrap) {
    return;
  }
  var modal = window.bootstrap.Modal.getOrCreateInstance(dialogEl);
  var box = dialogEl.querySelector(".modal-dialog");
  var blank = box.innerHTML;
  var pending = null; // the card being moved: {card, parent, next}
  var succeeded = false;
  var dragged = null;
  var draggedFrom = -1; // the place in the pipeline of the dragged card's stage
  var shown = false; // the dialog has finished opening (Bootstrap moves the focus to it then)

  function restoreCard() {
    if (pending && pending.card && pending.parent && pending.parent.isConnected) {
      pending.parent.insertBefore(pending.card, pending.next && pending.next.parentNode === pending.parent ? pending.next : null);
      pending.card.classList.remove("ls-pending");
    }
  }

  function focusFirstField() {
    var field = box.querySelector(".modal-body input:not([type=hidden]), .modal-body textarea, .modal-body select");
    if (field) {
      field.focus();
    }
  }

  function setContent(html) {
    box.innerHTML = html;
    if (shown) {
      focusFirstField();
    }
  }

  dialogEl.addEventListener("shown.bs.modal", function () {
    shown = true;
    focusFirstField();
  });

  function showProblem(text) {
    var body = box.querySelector(".modal-body");
    if (!body) {
      box.innerHTML = blank;
      body = box.querySelector(".modal-body");
    }
    var old = body.querySelector("[data-testid=move-error]");
    if (old) {
      old.remove();
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.dataset.testid = "move-error";
    alert.textContent = text;
    body.prepend(alert);
  }

  function flash(message) {
    var status = document.getElementById("kanban-status");
    if (status) {
      status.textContent = message;
    }
    var holder = document.getElementById("kanban-flash");
    if (!holder) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert alert-success alert-dismissible fade show";
    alert.setAttribute("role", "alert");
    alert.dataset.testid = "move-done";
    alert.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    var dialogClose = dialogEl.querySelector(".btn-close");
    close.setAttribute("aria-label", dialogClose ? dialogClose.getAttribute("aria-label") : "×");
    alert.appendChild(close);
    holder.replaceChildren(alert);
  }

  // The columns scroll on their own and end above the bottom of the window (see investment.css).
  function fitBoard() {
    var board = document.getElementById("kanban-board");
    if (board) {
      var top = board.getBoundingClientRect().top + window.scrollY;
      document.documentElement.style.setProperty("--ls-board-top", Math.round(top) + "px");
    }
  }
  fitBoard();
  window.addEventListener("resize", fitBoard);

  function refreshBoard() {
    var board = document.getElementById("kanban-board");
    if (!board) {
      return Promise.resolve();
    }
    return fetch(board.dataset.refreshUrl || window.location.href, {
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) {
        window.location.reload();
        return null;
      }
      return response.text().then(function (html) {
        var current = document.getElementById("kanban-board");
        if (current) {
          current.outerHTML = html;
        }
        fitBoard();
      });
    });
  }

  function openMove(url, stage, version) {
    succeeded = false;
    var target = new URL(url, window.location.href);
    if (stage) {
      target.searchParams.set("to", stage);
    }
    if (version) {
      target.searchParams.set("version", version);
    }
    box.innerHTML = blank;
    modal.show();
    fetch(target, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          setContent(html);
        });
      })
      .catch(function () {
        showProblem(dialogEl.dataset.errorText);
      });
  }

  // Submitting the dialog's form -------------------------------------------------------------------
  dialogEl.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-move-form]");
    if (!form) {
      return;
    }
    event.preventDefault();
    var button = form.querySelector("[type=submit]");
    if (button) {
      button.disabled = true;
    }
    var data = new FormData(form);
    if (dialogEl.dataset.after !== "board") {
      data.append("announce", "1"); // the page reloads: let the server show the message there
    }
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "HX-Request": "true" },
      credentials: "same-origin",
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.ok && type.indexOf("application/json") !== -1) {
          return response.json().then(function (result) {
            succeeded = true;
            pending = null;
            modal.hide();
            if (dialogEl.dataset.after === "board") {
              return refreshBoard().then(function () {
                flash(result.message);
              });
            }
            window.location.reload();
            return null;
          });
        }
        if (response.status === 400 || response.status === 409) {
          // The service refused: its message is in the form; nothing moved.
          return response.text().then(function (html) {
            restoreCard();
            setContent(html);
            if (response.status === 409) {
              return refreshBoard();
            }
            return null;
          });
        }
        throw new Error(String(response.status));
      })
      .catch(function () {
        restoreCard();
        if (button) {
          button.disabled = false;
        }
        showProblem(dialogEl.dataset.errorText);
      });
  });

  dialogEl.addEventListener("hide.bs.modal", function () {
    shown = false;
    if (!succeeded) {
      restoreCard();
    }
    pending = null;
  });

  // Menus and buttons that open the dialog ---------------------------------------------------------

  // The place in the pipeline of a card's stage: its column's.
  function stageIndex(card) {
    return Number(card.closest(".ls-kanban-col").dataset.stageIndex);
  }

  // A card's move action: the board gives the address of project 0's, the card its own number.
  function moveUrl(card) {
    var board = card.closest("[data-move-url]");
    return board.dataset.moveUrl.replace("/0/", "/" + card.dataset.pk + "/");
  }

  // A card's menu is filled when it opens, from the board's one list of stages: the stages after
  // the card's, each pointing at the card's move action with the version the board showed.
  document.addEventListener("show.bs.dropdown", function (event) {
    var card = event.target.closest && event.target.closest(".ls-kanban-card");
    var items = document.getElementById("move-menu-items");
    var menu = card && card.querySelector("[data-move-menu]");
    if (!menu || !items) {
      return;
    }
    var from = stageIndex(card);
    var entries = items.content.cloneNode(true);
    entries.querySelectorAll("li[data-stage-index]").forEach(function (entry) {
      if (Number(entry.dataset.stageIndex) <= from) {
        entry.remove();
        return;
      }
      var link = entry.querySelector("a[data-move-to]");
      var target = new URL(moveUrl(card), window.location.href);
      target.searchParams.set("to", link.dataset.moveTo);
      target.searchParams.set("version", card.dataset.version);
      link.href = target.pathname + target.search;
    });
    menu.replaceChildren(entries);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-move-to]");
    if (!link) {
      return;
    }
    event.preventDefault();
    pending = null;
    openMove(link.href, link.dataset.moveTo, null);
  });

  // Drag and drop on the board ---------------------------------------------------------------------
  function columns() {
    return document.querySelectorAll(".ls-kanban-col");
  }

  function dropColumn(event) {
    if (!dragged || !event.target.closest) {
      return null;
    }
    var column = event.target.closest(".ls-kanban-col");
    if (!column || Number(column.dataset.stageIndex) <= draggedFrom) {
      return null;
    }
    return column;
  }

  function clearDragMarks() {
    columns().forEach(function (column) {
      column.classList.remove("ls-drop-ok", "ls-drop-over");
    });
    if (dragged) {
      dragged.classList.remove("ls-dragging");
    }
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".ls-kanban-card[draggable=true]");
    if (!card) {
      return;
    }
    dragged = card;
    draggedFrom = stageIndex(card);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.pk);
    card.classList.add("ls-dragging");
    var from = draggedFrom;
    columns().forEach(function (column) {
      if (Number(column.dataset.stageIndex) > from) {
        column.classList.add("ls-drop-ok");
      }
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = dropColumn(event);
    if (!column) {
      return;
    }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    columns().forEach(function (other) {
      other.classList.toggle("ls-drop-over", other === column);
    });
  });

  document.addEventListener("drop", function (event) {
    var column = dropColumn(event);
    if (!column) {
      return;
    }
    event.preventDefault();
    var card = dragged;
    clearDragMarks();
    dragged = null;
    pending = { card: card, parent: card.parentNode, next: card.nextSibling };
    column.querySelector("[data-dropzone]").prepend(card);
    card.classList.add("ls-pending");
    openMove(moveUrl(card), column.dataset.stage, card.dataset.version);
  });

  document.addEventListener("dragend", function () {
    clearDragMarks();
    dragged = null;
  });
})();
