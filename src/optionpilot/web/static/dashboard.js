// Draws every [data-figure] with Plotly and turns server-sent "change" events into an htmx refresh of #live.
(function () {
  function draw(root) {
    if (typeof Plotly === "undefined") return;
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var fig = JSON.parse(el.dataset.figure);
      Plotly.newPlot(el, fig.data, fig.layout, {displaylogo: false, responsive: true});
      el.dataset.drawn = "1";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
    document.body.addEventListener("htmx:afterSettle", function () { draw(document); });
    var mark = document.getElementById("live-state");
    if (!window.EventSource) return;
    var source = new EventSource("/events");
    source.onopen = function () { mark.textContent = "● live"; mark.classList.add("on"); };
    source.onerror = function () { mark.textContent = "○ reconnecting"; mark.classList.remove("on"); };
    source.addEventListener("change", function () {
      mark.dataset.changes = String(Number(mark.dataset.changes || "0") + 1);
      if (window.htmx && !document.querySelector("form.confirm")) htmx.trigger(document.body, "op-changed");
    });
  });
})();
