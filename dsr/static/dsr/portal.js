// The portal's few interactive bits, from one static file: the Content-Security-Policy allows
// no inline script and no on... handler. Without script, every field shows and forms still work.
(function () {
  "use strict";

  // A select that changes the page (the language): submit its form at once.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A form that cannot be undone asks first (its data-confirm says what).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // Intake: the agent's fields only matter when acting for someone else.
  var agentBox = document.getElementById("agent-fields");
  var heading = document.getElementById("subject-heading");
  if (agentBox && heading) {
    // The subject's fields speak of "the person you act for" to an agent (the words are in
    // each control's data-label-*/data-help-* attributes, from the form).
    var reword = function (acting) {
      document.querySelectorAll("[data-label-agent]").forEach(function (control) {
        var label = document.querySelector('label[for="' + control.id + '"]');
        if (label) { label.textContent = acting ? control.dataset.labelAgent : control.dataset.labelSelf; }
        var help = document.getElementById(control.id + "_helptext");
        if (help && control.dataset.helpAgent) {
          help.textContent = acting ? control.dataset.helpAgent : control.dataset.helpSelf;
        }
      });
    };
    var syncAgent = function () {
      var chosen = document.querySelector('input[name="requester"]:checked');
      var acting = !!(chosen && chosen.value === "agent");
      agentBox.hidden = !acting;
      heading.textContent = acting ? heading.dataset.agent : heading.dataset.self;
      reword(acting);
    };
    document.querySelectorAll('input[name="requester"]').forEach(function (radio) {
      radio.addEventListener("change", syncAgent);
    });
    syncAgent();
  }

  // Case page: the provision matters only for an exception in law.
  var ground = document.getElementById("id_refusal_ground");
  var statute = document.getElementById("refusal-statute");
  if (ground && statute) {
    var syncGround = function () { statute.hidden = ground.value !== "exception"; };
    ground.addEventListener("change", syncGround);
    syncGround();
  }
})();
