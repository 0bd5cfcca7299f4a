/* The guide's search and filters: no server, no request; the platforms carry their own
   data attributes. Without JavaScript the form stays hidden and every platform is shown. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var list = document.getElementById("platforms");
  var status = document.getElementById("shown");
  if (!form || !list || !status) {
    return;
  }
  var items = Array.prototype.slice.call(list.querySelectorAll("li.platform"));
  var search = form.elements.namedItem("q");
  var channel = form.elements.namedItem("channel");
  var surface = form.elements.namedItem("surface");
  var noAccount = form.elements.namedItem("no-account");

  /* Words of letters and digits, lower case, without accents: as `search_key` writes the
     names in data-search. */
  function key(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .split(/[^0-9a-z]+/).filter(Boolean);
  }

  /* Every word searched is one of the names' words ("x" is X, never the x in "texte"); the
     word still being typed may be the start of one ("chatg" finds ChatGPT). */
  function named(names, words, typing) {
    return words.every(function (word, index) {
      return names.some(function (name) {
        return name === word || (typing && index === words.length - 1 && name.indexOf(word) === 0);
      });
    });
  }

  function has(element, name, value) {
    return value === "" || (element.getAttribute(name) || "").split(" ").indexOf(value) !== -1;
  }

  /* A platform is shown when its names match every word searched and one of its procedures
     passes every filter at once (a form on Android, not a form and something on Android). */
  function update() {
    var words = key(search.value);
    var typing = !/\s$/.test(search.value);
    var shown = 0;
    items.forEach(function (item) {
      var names = (item.getAttribute("data-search") || "").split(" ");
      var procedures = Array.prototype.slice.call(item.querySelectorAll("li.procedure-title"));
      var passing = 0;
      procedures.forEach(function (procedure) {
        var pass = has(procedure, "data-channel", channel.value) &&
          has(procedure, "data-surfaces", surface.value) &&
          (!noAccount.checked || procedure.getAttribute("data-no-account") === "true");
        procedure.hidden = !pass;
        if (pass) {
          passing += 1;
        }
      });
      var match = named(names, words, typing) && passing > 0;
      item.hidden = !match;
      if (match) {
        shown += 1;
      }
    });
    var template = shown === 0 ? status.getAttribute("data-none")
      : shown === 1 ? status.getAttribute("data-one") : status.getAttribute("data-many");
    status.textContent = (template || "").replace("{n}", String(shown));
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.hidden = false;
  update();
})();
