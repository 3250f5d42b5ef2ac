// The note editor (charting/_editor.html): rows of record fields (add, remove), the autosave's status line,
// and a warning before leaving with changes not yet saved. The autosave itself is htmx on the form; CSP keeps
// handlers out of the markup, so they live here.
(function () {
  "use strict";

  var form = document.querySelector("[data-note-editor]");
  if (!form) {
    return;
  }
  var edits = 0; // changes typed since the page loaded
  var sent = 0; // `edits` when the autosave in flight was sent
  var saved = 0; // `edits` covered by the last successful autosave
  var submitting = false;

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // Row names are data.<field>.<index>.<subfield>: keep indexes 0..n-1 in page order, so the server's
  // messages ("techniques.1.minutes") land beside the row the clinician sees.
  function renumber(records) {
    var base = records.getAttribute("data-records");
    var idBase = base.replace(/[^A-Za-z0-9_-]+/g, "-");
    var byName = new RegExp("^(" + escapeRegExp(base) + "\\.)(\\d+|__i__)(\\.)");
    var byId = new RegExp("^((?:f|err)-" + escapeRegExp(idBase) + "-)(\\d+|__i__)(-)");
    var rows = records.querySelectorAll("[data-rows] > [data-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach(function (element) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
          var value = element.getAttribute(attribute);
          if (value === null) {
            return;
          }
          var pattern = attribute === "name" ? byName : byId;
          element.setAttribute(attribute, value.replace(pattern, "$1" + index + "$3"));
        });
      });
    });
    var max = parseInt(records.getAttribute("data-max-rows") || "0", 10);
    var add = records.querySelector("[data-add-row]");
    if (add && max) {
      add.disabled = rows.length >= max;
    }
  }

  function changed(element) {
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }

  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    var remove = event.target.closest("[data-remove-row]");
    var records = event.target.closest("[data-records]");
    if (add && records) {
      var template = records.querySelector("template[data-row-template]");
      var rows = records.querySelector("[data-rows]");
      rows.appendChild(template.content.cloneNode(true));
      renumber(records);
      var added = rows.lastElementChild;
      var first = added && added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) {
        first.focus();
      }
      edits += 1;
      changed(rows);
    } else if (remove && records) {
      remove.closest("[data-row]").remove();
      renumber(records);
      edits += 1;
      changed(records.querySelector("[data-rows]"));
      var next = records.querySelector("[data-add-row]");
      if (next) {
        next.focus();
      }
    }
  });

  form.addEventListener("input", function () {
    edits += 1;
  });
  form.addEventListener("change", function () {
    edits += 1;
  });
  form.addEventListener("submit", function () {
    submitting = true;
  });
  // Calling the visit off retires the draft on purpose: no warning about changes not yet saved then.
  document.querySelectorAll("form[data-discards-draft]").forEach(function (other) {
    other.addEventListener("submit", function () {
      submitting = true;
    });
  });

  function status(text, failed) {
    var line = document.getElementById("autosave-status");
    if (!line) {
      return;
    }
    line.textContent = text;
    line.classList.toggle("is-failed", Boolean(failed));
    line.classList.toggle("is-saved", !failed);
  }

  document.body.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt === form) {
      sent = edits;
    }
  });
  // A refused autosave (422) carries the messages to show: swap it like a success.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.requestConfig && event.detail.requestConfig.elt === form && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt !== form) {
      return;
    }
    var code = event.detail.xhr ? event.detail.xhr.status : 0;
    if (code === 200) {
      saved = Math.max(saved, sent);
    } else if (code !== 422) {
      var why = code ? "the server answered " + code : "no connection";
      status("Not saved (" + why + "). What you typed is still here; it saves with your next change.", true);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (!submitting && edits > saved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  form.querySelectorAll("[data-records]").forEach(renumber);
})();
