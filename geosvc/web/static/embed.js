/* The widget page's side of the embedding (GET /widget only; widget.js is the host page's side).

   - Tells the page that frames it its height, each time it changes (the suggestions open, the
     answer card appears), so that widget.js sizes the <iframe> to it and the widget never scrolls
     inside the site's page. The message is {type: "geosvc-widget:height", height: <CSS px>}: a
     number, nothing about the person, so it is posted to any parent origin (frame-ancestors
     already decides who may frame this page); widget.js checks the message's origin and source.
   - Preselects the department of data-departement (the host's div's data-departement) once
     campaign.js has listed them, as a person choosing it would (a change event).
   - Hides "Utiliser ma position" when the framing page does not delegate geolocation to the frame
     (no allow="geolocation"): the button could only fail there.
   campaign.js does the rest, as on the full page. */
(function () {
  "use strict";

  var MESSAGE = "geosvc-widget:height";
  var body = document.body;
  var root = document.documentElement;

  // --- the height, for the host page ----------------------------------------------------------

  var posted = 0;

  function postHeight() {
    // the document's own height (the root's box), not the frame's: it shrinks as well as grows
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height === posted) return;
    posted = height;
    window.parent.postMessage({ type: MESSAGE, height: height }, "*");
  }

  var soon = null;
  function postHeightSoon() {
    if (soon === null) soon = setTimeout(function () { soon = null; postHeight(); }, 50);
  }

  if (window.parent !== window) {
    // A resize observer sees every change of the layout, but Chromium pauses it (with all
    // rendering) in a cross-origin frame out of view: a widget further down the site's page would
    // keep its first height until scrolled to. Changes to the document are seen there too, and
    // measuring lays the page out, so the frame has its height before it comes into view.
    if (typeof ResizeObserver === "function") new ResizeObserver(postHeight).observe(root);
    // (not the map's own style changes, which leave the height alone: only hidden and class)
    new MutationObserver(postHeightSoon).observe(document.body,
      { subtree: true, childList: true, characterData: true, attributeFilter: ["hidden", "class"] });
    window.addEventListener("load", postHeight);
    window.addEventListener("resize", postHeightSoon);
    postHeight();
  }

  // --- geolocation, when the host page does not allow it -------------------------------------

  var policy = document.permissionsPolicy || document.featurePolicy;
  if (policy && typeof policy.allowsFeature === "function" && !policy.allowsFeature("geolocation")) {
    var button = document.getElementById("locate");
    if (button) {
      [button.previousElementSibling, button, button.nextElementSibling].forEach(function (node) {
        if (node && (node === button || node.classList.contains("or") || node.classList.contains("hint"))) {
          node.hidden = true;
        }
      });
    }
  }

  // --- the preselected department ----------------------------------------------------------

  // the service writes it into the page; a static build's widget.html reads the frame's URL
  var wanted = body.dataset.departement || new URLSearchParams(location.search).get("departement") || "";
  if (!/^(\d{2}|2[AB])$/.test(wanted)) wanted = "";
  var select = document.getElementById("departement-select");

  function preselect() {
    if (!body.classList.contains("ready")) return false;  // campaign.js has not listed them yet
    var known = Array.prototype.some.call(select.options, function (option) { return option.value === wanted; });
    if (known && select.value !== wanted) {
      select.value = wanted;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return true;
  }

  if (wanted && select && !preselect()) {
    var watcher = new MutationObserver(function () { if (preselect()) watcher.disconnect(); });
    watcher.observe(body, { attributes: true, attributeFilter: ["class"] });
  }
}());
