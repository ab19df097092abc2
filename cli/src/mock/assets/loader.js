// passgate mock: a stand-in for the provider's loader script. It offers the
// provider's explicit-render API (PROVIDER is filled in by the emulator),
// frames a small challenge from the emulator's origin, and when the challenge
// is solved fills the provider's hidden field with a token the emulator
// accepts. Only for tests: it checks nothing.
(function () {
  var provider = "PROVIDER";
  var origin = new URL(document.currentScript.src).origin;
  var fields = {
    turnstile: ["input", "cf-turnstile-response"],
    recaptcha: ["textarea", "g-recaptcha-response"],
    hcaptcha: ["textarea", "h-captcha-response"]
  };
  function frame(target, params, onToken) {
    var query = "provider=" + provider;
    ["sitekey", "action", "cdata"].forEach(function (name) {
      if (params[name]) { query += "&" + name + "=" + encodeURIComponent(params[name]); }
    });
    var iframe = document.createElement("iframe");
    iframe.src = origin + "/__mock/challenge?" + query;
    iframe.title = "passgate mock challenge";
    iframe.width = "320";
    iframe.height = "80";
    iframe.setAttribute("frameborder", "0");
    target.appendChild(iframe);
    window.addEventListener("message", function (event) {
      if (event.origin === origin && event.source === iframe.contentWindow && event.data && event.data.passgateMockToken) {
        onToken(event.data.passgateMockToken);
      }
    });
  }
  function render(target, params) {
    var spec = fields[provider];
    var field = document.createElement(spec[0]);
    field.name = spec[1];
    if (spec[0] === "input") { field.type = "hidden"; } else { field.style.display = "none"; }
    target.appendChild(field);
    frame(target, params || {}, function (token) { field.value = token; });
    return "mock-widget";
  }
  if (provider === "captchala") {
    window.Captchala = {
      init: function (config) {
        var success = function () {};
        return {
          onSuccess: function (callback) { success = callback; return this; },
          onError: function () { return this; },
          appendTo: function (selector) {
            frame(document.querySelector(selector), { sitekey: config.appKey, action: config.action },
              function (token) { success({ token: token }); });
            return this;
          }
        };
      }
    };
    window.loadCaptchala = function (ready) { ready(); };
  } else {
    window[{ turnstile: "turnstile", recaptcha: "grecaptcha", hcaptcha: "hcaptcha" }[provider]] = { render: render };
  }
})();
