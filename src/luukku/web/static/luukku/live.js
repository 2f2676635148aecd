/* Live parts of a page: an element with data-live-socket="/ws/..." holds a WebSocket
   and, whenever the server says something changed, fires the htmx event "live" on
   itself (its hx-trigger then fetches it again). A lost connection is opened again,
   a little later each time; the element's own slow polling covers the gap. */
(function () {
  "use strict";

  function connect(element, delay) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + element.dataset.liveSocket);
    socket.onopen = function () {
      delay = 1000;
      element.dataset.liveState = "open";
    };
    socket.onmessage = function () {
      if (window.htmx) {
        window.htmx.trigger(element, "live");
      }
    };
    socket.onclose = function (event) {
      element.dataset.liveState = "closed";
      if (event.code === 4403 || !document.body.contains(element)) {
        return; // not allowed, or the element is gone: stay with polling
      }
      window.setTimeout(function () {
        connect(element, Math.min(delay * 2, 30000));
      }, delay);
    };
  }

  function start() {
    document.querySelectorAll("[data-live-socket]").forEach(function (element) {
      connect(element, 1000);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
