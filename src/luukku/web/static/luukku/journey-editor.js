// The journey editor's entry form: only the fields of the chosen way in are shown
// (without JavaScript every field is, and those of other kinds are ignored).
(function () {
  "use strict";
  var FIELDS = {
    event: ["event_type", "match", "key"],
    segment: ["segment"],
    "case": ["case_status", "case_queue"],
    date: ["date_field", "offset_days", "yearly"],
    manual: []
  };
  var ALL = ["event_type", "match", "key", "segment", "case_status", "case_queue",
             "date_field", "offset_days", "yearly"];

  function show(form) {
    var kind = form.querySelector("[name=entry]").value;
    var wanted = FIELDS[kind] || [];
    ALL.forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      var wrapper = input && input.closest(".field");
      if (wrapper) wrapper.hidden = wanted.indexOf(name) < 0;
    });
    var days = form.querySelector("[name=reentry_days]");
    var policy = form.querySelector("[name=reentry]");
    if (days && policy) days.closest(".field").hidden = policy.value !== "after_days";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("settings-form");
    if (!form) return;
    form.addEventListener("change", function () { show(form); });
    show(form);
  });
})();
