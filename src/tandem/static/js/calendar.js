// The calendar's drag and drop (CSP keeps scripts out of the markup). Drag a booked visit onto a free
// 15-minute slot: the move is POSTed to the appointment's move URL with the CSRF token and the calendar to
// re-render. The page changes only when the server accepted (it answers the new calendar); otherwise its
// message goes to the live region and the visit stays where it was.
(function () {
  "use strict";

  var dragged = null;

  function statusBox() {
    return document.getElementById("calendar-status");
  }

  function say(text, isError) {
    var box = statusBox();
    if (!box) {
      return;
    }
    box.textContent = text;
    box.classList.toggle("is-error", Boolean(isError));
  }

  function csrfToken() {
    var field = document.getElementById("calendar-csrf");
    if (field && field.value) {
      return field.value;
    }
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function slotOf(target) {
    return target && target.closest ? target.closest(".cal-slot[data-starts-at]") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".cal-slot.is-drop-target").forEach(function (cell) {
      cell.classList.remove("is-drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var visit = event.target.closest && event.target.closest(".cal-visit[data-move-url]");
    if (!visit) {
      return;
    }
    dragged = visit;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", visit.getAttribute("data-appointment"));
    visit.classList.add("is-dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("is-dragging");
    }
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var cell = slotOf(event.target);
    if (!cell || !dragged) {
      return;
    }
    event.preventDefault(); // allow the drop here
    event.dataTransfer.dropEffect = "move";
    if (!cell.classList.contains("is-drop-target")) {
      clearTargets();
      cell.classList.add("is-drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var cell = slotOf(event.target);
    if (!cell || !dragged) {
      return;
    }
    event.preventDefault();
    var visit = dragged;
    var calendar = cell.closest(".cal");
    var container = document.getElementById("calendar");
    clearTargets();
    if (!calendar || !container) {
      return;
    }
    var body = new URLSearchParams();
    body.set("starts_at", cell.getAttribute("data-starts-at"));
    ["practitioner", "room"].forEach(function (name) {
      var value = cell.getAttribute("data-" + name);
      if (value) {
        body.set(name, value);
      }
    });
    ["view", "subject", "date", "by"].forEach(function (name) {
      body.set(name, calendar.getAttribute("data-" + name) || "");
    });
    say("Moving the visit…", false);
    fetch(visit.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-CSRFToken": csrfToken(),
      },
      body: body.toString(),
    })
      .then(function (response) {
        return response.text().then(function (text) {
          return { ok: response.ok, status: response.status, text: text };
        });
      })
      .then(function (answer) {
        if (!answer.ok) {
          var reason = answer.status === 422 ? answer.text : "The visit was not moved (error " + answer.status + ").";
          say(reason, true);
          return;
        }
        container.innerHTML = answer.text;
        if (window.htmx) {
          window.htmx.process(container);
        }
        var fresh = container.querySelector(".cal");
        say((fresh && fresh.getAttribute("data-status")) || "Moved.", false);
      })
      .catch(function () {
        say("No answer from the server: the visit was not moved.", true);
      });
  });
})();
