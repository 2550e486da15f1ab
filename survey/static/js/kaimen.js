// Kaimen progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // A form submitted on a slow connection must not be sent twice by an impatient second tap.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    window.setTimeout(function () { form.dataset.submitting = ""; }, 8000);
  });
})();
