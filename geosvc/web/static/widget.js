/* geosvc's embeddable widget, for another site's pages ("Trouve ta mission locale").

   The site pastes, where the widget goes:

     <div data-geosvc-widget data-departement="80"></div>
     <script src="https://GEOSVC-HOST/widget.js" async></script>

   and this script replaces each <div data-geosvc-widget> with an <iframe> of GEOSVC-HOST/widget
   (the campaign page's UI, compact). The frame isolates both ways: the site's CSS and scripts do
   not reach the widget, ours do not reach the site; the framed page calls the API of its own
   origin (no CORS), under its own strict Content-Security-Policy. GEOSVC_EMBED_ORIGINS must list
   the site's origin, or the browser refuses the frame (frame-ancestors). docs/CAMPAIGN.md,
   "Embedding", documents the options:

     data-departement  a department code (02, 59, 60, 62, 80) preselected in the widget
     data-height       a fixed height in CSS pixels; without it the frame takes its content's height
     data-title        the frame's title for screen readers (default "Trouve ta mission locale")
     data-geolocation  "off": the frame may not ask for the position ("Utiliser ma position" hidden)

   Anything inside the div (a link to the full page, for browsers without JavaScript) is replaced.
   The framed page (embed.js) posts its height; only messages whose origin is the widget's and
   whose source is one of our frames are heard. Nothing here uses inline styles in markup, eval or
   globals besides window.GeosvcWidget, so the site's own CSP only needs script-src and frame-src
   for GEOSVC-HOST. */
(function () {
  "use strict";

  if (window.GeosvcWidget) { window.GeosvcWidget.mount(); return; }  // the script included twice

  var script = document.currentScript;
  if (!script || !script.src) return;  // not loaded by a <script src>: nothing to resolve against
  // The framed page sits next to this script (GEOSVC-HOST/widget beside GEOSVC-HOST/widget.js);
  // data-frame on the script tag names another (a static build's widget.html).
  var frameUrl = new URL(script.getAttribute("data-frame") || "widget", script.src);
  var MESSAGE = "geosvc-widget:height";
  var INITIAL_HEIGHT = 640;  // CSS px until the framed page says its height
  var MIN_HEIGHT = 200;
  var MAX_HEIGHT = 20000;
  var frames = [];

  function heightOf(value) {
    var number = Math.ceil(Number(value));
    return isFinite(number) ? Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, number)) : null;
  }

  function mountOne(host) {
    if (host.getAttribute("data-geosvc-mounted") !== null) return;
    host.setAttribute("data-geosvc-mounted", "");
    var options = host.dataset;
    var address = new URL(frameUrl.href);
    if (options.departement) address.searchParams.set("departement", options.departement);

    var frame = document.createElement("iframe");
    frame.src = address.href;
    frame.title = options.title || "Trouve ta mission locale";
    frame.referrerPolicy = "no-referrer";  // the widget needs not know which page it is on
    if (options.geolocation !== "off") frame.allow = "geolocation";
    // CSSOM properties, not a style attribute: allowed by the strictest style-src of the site
    frame.style.display = "block";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.height = (heightOf(options.height) || INITIAL_HEIGHT) + "px";
    frame.geosvcAutoHeight = !options.height;

    while (host.firstChild) host.removeChild(host.firstChild);
    host.appendChild(frame);
    frames.push(frame);
  }

  function mount() {
    var hosts = document.querySelectorAll("[data-geosvc-widget]");
    for (var i = 0; i < hosts.length; i++) mountOne(hosts[i]);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== frameUrl.origin) return;  // only our framed page may speak
    var data = event.data;
    if (!data || data.type !== MESSAGE) return;
    for (var i = 0; i < frames.length; i++) {
      // and only through one of our frames: the source is that frame's window
      if (frames[i].contentWindow === event.source) {
        var height = heightOf(data.height);
        if (height && frames[i].geosvcAutoHeight) frames[i].style.height = height + "px";
        return;
      }
    }
  });

  window.GeosvcWidget = { mount: mount };  // for pages that add the div later (mount() again)
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
}());
