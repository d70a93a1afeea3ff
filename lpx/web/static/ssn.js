// SSN-5 on the console's search form: the digits go to the state's own tokenizer (the
// URL in data-tokenizer, on the state's network), and only the returned tokens go to the
// hub. The digits field has no name, so the browser never submits it; without this script
// (or if the tokenizer fails) nothing about SSN-5 is sent.
"use strict";
(function () {
  const form = document.getElementById("search-form");
  const digits = document.getElementById("ssn5");
  if (!form || !digits || !digits.dataset.tokenizer) { return; }
  const full = document.getElementById("ssn_full");
  const masked = Array.from(form.querySelectorAll("input.ssn_masked"));
  const status = document.getElementById("ssn5_help");

  function clearTokens() {
    full.value = "";
    full.disabled = true;
    masked.forEach(function (m) { m.value = ""; m.disabled = true; });
  }

  form.addEventListener("submit", function (event) {
    const value = digits.value.trim();
    clearTokens();
    if (!value) { return; }  // no SSN-5: submit as it is
    event.preventDefault();
    fetch(digits.dataset.tokenizer, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ssn5: value,
        first_name: form.elements.first_name.value,
        last_name: form.elements.last_name.value,
        dob: form.elements.dob.value,
      }),
      credentials: "omit",
      referrerPolicy: "no-referrer",
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.detail || "the tokenizer refused"); }
        return body;
      });
    }).then(function (tokens) {
      full.disabled = false;
      full.value = tokens.full;
      masked.forEach(function (m, i) { m.disabled = false; m.value = tokens.masked[i]; });
      digits.value = "";  // the digits leave neither the page nor this field
      form.submit();
    }).catch(function (error) {
      status.textContent = "SSN-5 could not be tokenized (" + error.message + "). " +
        "Correct it, or clear the field to search without it.";
      status.setAttribute("role", "alert");
    });
  });
})();
