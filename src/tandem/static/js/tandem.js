// Tandem's page script: the few behaviours CSP keeps out of the markup (no inline handlers).
// Everything else is plain HTML forms and htmx attributes.
(function () {
  "use strict";

  // ICD-10-CM picker: a click on a suggestion fills the code field, and the description if it is empty.
  document.addEventListener("click", function (event) {
    var suggestion = event.target.closest(".suggestion");
    if (!suggestion) {
      return;
    }
    var box = suggestion.closest(".suggestions");
    var field = box && box.closest(".field");
    var input = field && field.querySelector("input");
    if (!input) {
      return;
    }
    input.value = suggestion.getAttribute("data-code");
    var form = input.form;
    var description = form && form.elements.namedItem("text");
    if (description && !description.value.trim()) {
      description.value = suggestion.getAttribute("data-description");
    }
    box.innerHTML = "";
    input.focus();
  });

  // Escape closes the suggestion list.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var field = event.target.closest && event.target.closest(".field");
    var box = field && field.querySelector(".suggestions");
    if (box && box.innerHTML.trim()) {
      box.innerHTML = "";
      event.preventDefault();
    }
  });

  // Forms that undo something ask first: <form data-confirm="Revoke this token?">.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // A one-time secret is selected when focused, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) {
      var range = document.createRange();
      range.selectNodeContents(event.target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  });
})();
