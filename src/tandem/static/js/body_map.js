// The body map editor ({% body_map marks editable=True %}, charting/templatetags/body_map_tags.py).
// Wires every [data-body-map] on the page, and those htmx swaps in later. A click (or Enter/Space on a focused
// site) toggles a mark of the chosen kind there; the hidden input keeps the marks' JSON and fires `change`
// whenever they change, which is what the note editor's autosave listens for. No inline script or style (CSP).
(function () {
  "use strict";

  if (window.TandemBodyMap) {
    return; // loaded twice (a page and a swapped fragment): the first copy already listens
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  // As charting/bodymap.py: symbol size, spacing and order of the kinds drawn as symbols.
  var RADIUS = 5;
  var SPACING = 11;
  var SYMBOL_ORDER = ["pain", "trigger-point", "adjusted-segment"];

  function fmt(n) {
    return String(Math.round(n * 100) / 100);
  }

  function symbolPath(symbol, x, y) {
    var r = RADIUS;
    if (symbol === "circle") {
      return (
        "M " + fmt(x - r) + " " + fmt(y) + " A " + r + " " + r + " 0 1 0 " + fmt(x + r) + " " + fmt(y) +
        " A " + r + " " + r + " 0 1 0 " + fmt(x - r) + " " + fmt(y) + " Z"
      );
    }
    if (symbol === "cross") {
      var c = r * 0.85;
      return (
        "M " + fmt(x - c) + " " + fmt(y - c) + " L " + fmt(x + c) + " " + fmt(y + c) +
        " M " + fmt(x + c) + " " + fmt(y - c) + " L " + fmt(x - c) + " " + fmt(y + c)
      );
    }
    var d = r * 1.15;
    return (
      "M " + fmt(x) + " " + fmt(y - d) + " L " + fmt(x + d) + " " + fmt(y) + " L " + fmt(x) + " " +
      fmt(y + d) + " L " + fmt(x - d) + " " + fmt(y) + " Z"
    );
  }

  function svg(name, attributes) {
    var element = document.createElementNS(SVG_NS, name);
    Object.keys(attributes).forEach(function (key) {
      element.setAttribute(key, attributes[key]);
    });
    return element;
  }

  function sameMark(a, b) {
    return a.site === b.site && a.kind === b.kind && a.view === b.view;
  }

  function BodyMap(root) {
    this.root = root;
    this.input = root.querySelector("[data-bm-input]");
    this.list = root.querySelector("[data-bm-list]");
    this.empty = root.querySelector("[data-bm-empty]");
    this.status = root.querySelector("[data-bm-status]");
    this.template = root.querySelector("template[data-bm-item-template]");
    this.max = parseInt(root.getAttribute("data-max-marks"), 10) || 100;
    this.kinds = {};
    var self = this;
    root.querySelectorAll(".bm-kinds input[type=radio]").forEach(function (radio) {
      self.kinds[radio.value] = {
        label: radio.getAttribute("data-label"),
        colour: radio.getAttribute("data-colour"),
        symbol: radio.getAttribute("data-symbol"),
        key: radio.parentNode.querySelector(".bm-key")
      };
    });
    this.marks = this.read();
    this.listen();
    this.draw();
  }

  BodyMap.prototype.read = function () {
    try {
      var value = JSON.parse(this.input.value || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  };

  BodyMap.prototype.chosenKind = function () {
    var checked = this.root.querySelector(".bm-kinds input[type=radio]:checked");
    return checked ? checked.value : "pain";
  };

  BodyMap.prototype.site = function (site, view) {
    return this.root.querySelector('.bm-site[data-site="' + site + '"][data-view="' + view + '"]');
  };

  BodyMap.prototype.describe = function (mark) {
    var site = this.site(mark.site, mark.view);
    var place = (site ? site.getAttribute("data-label") : mark.site) + " (" + mark.view + ")";
    return { kind: this.kinds[mark.kind] ? this.kinds[mark.kind].label : mark.kind, place: place };
  };

  BodyMap.prototype.listen = function () {
    var self = this;
    this.root.addEventListener("click", function (event) {
      var site = event.target.closest(".bm-site");
      if (site && self.root.contains(site)) {
        self.toggle(site);
        return;
      }
      var remove = event.target.closest(".bm-remove");
      if (remove) {
        self.remove(remove.closest(".bm-item"));
      }
    });
    this.root.addEventListener("keydown", function (event) {
      var site = event.target.closest && event.target.closest(".bm-site");
      if (site && (event.key === "Enter" || event.key === " " || event.key === "Spacebar")) {
        event.preventDefault(); // Space would scroll the page
        self.toggle(site);
      }
    });
    this.root.addEventListener("input", function (event) {
      if (event.target.classList.contains("bm-note")) {
        self.noteTyped(event.target, false);
      }
    });
    this.root.addEventListener("change", function (event) {
      if (event.target.classList.contains("bm-note")) {
        self.noteTyped(event.target, true);
      } else if (event.target.type === "radio") {
        self.drawPressed();
      }
    });
  };

  BodyMap.prototype.toggle = function (site) {
    var mark = { site: site.getAttribute("data-site"), kind: this.chosenKind(), view: site.getAttribute("data-view") };
    var words = this.describe(mark);
    var index = this.marks.findIndex(function (m) {
      return sameMark(m, mark);
    });
    if (index >= 0) {
      this.marks.splice(index, 1);
      this.list.children[index].remove();
      this.say(words.kind + " removed: " + words.place + ".");
    } else if (this.marks.length >= this.max) {
      this.say("At most " + this.max + " marks on a body map.");
      return;
    } else {
      this.marks.push(mark);
      this.list.appendChild(this.item(mark));
      this.say(words.kind + " added: " + words.place + ".");
    }
    this.commit();
  };

  BodyMap.prototype.remove = function (item) {
    var index = Array.prototype.indexOf.call(this.list.children, item);
    if (index < 0) {
      return;
    }
    var words = this.describe(this.marks[index]);
    this.marks.splice(index, 1);
    var next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    // Keep the keyboard where it was: on the next mark's button, or on the figure's first site.
    var focus = next ? next.querySelector(".bm-remove") : this.root.querySelector(".bm-site");
    if (focus) {
      focus.focus();
    }
    this.say(words.kind + " removed: " + words.place + ".");
    this.commit();
  };

  BodyMap.prototype.noteTyped = function (field, committed) {
    var index = Array.prototype.indexOf.call(this.list.children, field.closest(".bm-item"));
    if (index < 0) {
      return;
    }
    var note = field.value.trim();
    if (note) {
      this.marks[index].note = note;
    } else {
      delete this.marks[index].note;
    }
    this.sync(committed);
  };

  BodyMap.prototype.item = function (mark) {
    var words = this.describe(mark);
    var description = words.kind + ", " + words.place;
    var item = this.template.content.firstElementChild.cloneNode(true);
    item.setAttribute("data-site", mark.site);
    item.setAttribute("data-kind", mark.kind);
    item.setAttribute("data-view", mark.view);
    item.querySelector("[data-bm-kind]").textContent = words.kind;
    item.querySelector("[data-bm-place]").textContent = words.place;
    var key = this.kinds[mark.kind] && this.kinds[mark.kind].key;
    if (key) {
      item.querySelector("[data-bm-key]").appendChild(key.cloneNode(true));
    }
    var note = item.querySelector(".bm-note");
    note.value = mark.note || "";
    note.setAttribute("aria-label", "Note for " + description);
    item.querySelector(".bm-remove").setAttribute("aria-label", "Remove " + description);
    return item;
  };

  BodyMap.prototype.say = function (text) {
    if (this.status) {
      this.status.textContent = text;
    }
  };

  BodyMap.prototype.commit = function () {
    this.draw();
    this.sync(true);
  };

  BodyMap.prototype.sync = function (announce) {
    var value = JSON.stringify(
      this.marks.map(function (m) {
        var out = { site: m.site, kind: m.kind, view: m.view };
        if (m.note) {
          out.note = m.note;
        }
        return out;
      })
    );
    var changed = value !== this.input.value;
    this.input.value = value;
    this.empty.hidden = this.marks.length > 0;
    if (announce && (changed || this.pending)) {
      this.pending = false;
      this.input.dispatchEvent(new Event("change", { bubbles: true }));
    } else if (changed) {
      this.pending = true; // typed, not yet committed: the field's own change event will announce it
    }
  };

  // The marks layer is redrawn from this.marks: symbols centred on the site's anchor, treated areas hatched.
  BodyMap.prototype.draw = function () {
    var self = this;
    this.root.querySelectorAll("svg.bm-svg").forEach(function (figure) {
      var view = figure.getAttribute("data-view");
      var symbols = figure.querySelector(".bm-marks");
      var treated = figure.querySelector(".bm-treated");
      symbols.replaceChildren();
      treated.replaceChildren();
      var bySite = {};
      self.marks.forEach(function (mark) {
        if (mark.view === view) {
          (bySite[mark.site] = bySite[mark.site] || []).push(mark);
        }
      });
      figure.querySelectorAll(".bm-site").forEach(function (site) {
        var here = bySite[site.getAttribute("data-site")] || [];
        site.classList.toggle("is-marked", here.length > 0);
        self.drawSite(site, here, symbols, treated);
      });
    });
    this.drawPressed();
  };

  BodyMap.prototype.drawSite = function (site, here, symbols, treated) {
    var self = this;
    var anchor = site.getAttribute("data-anchor").split(" ").map(Number);
    var column = site.getAttribute("data-axis") === "column";
    var drawn = SYMBOL_ORDER.filter(function (kind) {
      return here.some(function (m) {
        return m.kind === kind;
      });
    });
    here.forEach(function (mark) {
      var words = self.describe(mark);
      var title = svg("title", {});
      title.textContent = words.kind + ", " + words.place + (mark.note ? ": " + mark.note : "");
      var style = self.kinds[mark.kind] || { colour: "#1d2733", symbol: "circle" };
      var group = svg("g", { class: "bm-mark bm-mark-" + mark.kind });
      group.appendChild(title);
      var slot = drawn.indexOf(mark.kind);
      if (slot < 0) {
        site.querySelectorAll("path").forEach(function (path) {
          group.appendChild(svg("path", { d: path.getAttribute("d") }));
        });
        treated.appendChild(group);
        return;
      }
      var offset = (slot - (drawn.length - 1) / 2) * SPACING;
      var x = anchor[0] + (column ? 0 : offset);
      var y = anchor[1] + (column ? offset : 0);
      var d = symbolPath(style.symbol, x, y);
      var filled = style.symbol !== "cross";
      group.appendChild(
        svg("path", {
          class: "bm-halo", d: d, fill: "none", stroke: "#ffffff", "stroke-width": filled ? "3" : "5",
          "stroke-linecap": "round", "stroke-linejoin": "round"
        })
      );
      group.appendChild(
        filled
          ? svg("path", { class: "bm-symbol", d: d, fill: style.colour })
          : svg("path", {
              class: "bm-symbol", d: d, fill: "none", stroke: style.colour, "stroke-width": "2.6",
              "stroke-linecap": "round"
            })
      );
      symbols.appendChild(group);
    });
  };

  // aria-pressed says whether a click on the site would remove (true) or add (false) a mark of the chosen kind.
  BodyMap.prototype.drawPressed = function () {
    var kind = this.chosenKind();
    var marks = this.marks;
    this.root.querySelectorAll(".bm-site").forEach(function (site) {
      var mark = { site: site.getAttribute("data-site"), kind: kind, view: site.getAttribute("data-view") };
      var pressed = marks.some(function (m) {
        return sameMark(m, mark);
      });
      site.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
  };

  function wire(scope) {
    var roots = [];
    if (scope.matches && scope.matches("[data-body-map]")) {
      roots.push(scope);
    }
    if (scope.querySelectorAll) {
      scope.querySelectorAll("[data-body-map]").forEach(function (root) {
        roots.push(root);
      });
    }
    roots.forEach(function (root) {
      if (!root.bodyMap) {
        root.bodyMap = new BodyMap(root);
      }
    });
  }

  window.TandemBodyMap = { wire: wire };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      wire(document);
    });
  } else {
    wire(document);
  }
  // htmx fires htmx:load on every element it swaps in (and on the body once it starts).
  document.addEventListener("htmx:load", function (event) {
    wire(event.target);
  });
})();
