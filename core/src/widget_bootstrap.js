(function () {
  var script = document.currentScript;
  var box = script ? script.previousElementSibling : null;
  if (!box || box.getAttribute("data-passgate-state")) { return; }
  box.setAttribute("data-passgate-state", "loading");
  var provider = box.getAttribute("data-passgate-provider");
  var src = box.getAttribute("data-passgate-loader");
  var target = box.querySelector("[data-passgate-target]");
  var hint = box.querySelector(".passgate-widget-error");
  var loader = null;
  var scripts = document.querySelectorAll("script[data-passgate-loader]");
  for (var i = 0; i !== scripts.length; i++) {
    if (scripts[i].getAttribute("data-passgate-loader") === src) { loader = scripts[i]; }
  }
  if (!loader) {
    loader = document.createElement("script");
    loader.src = src;
    loader.async = true;
    if (script.nonce) { loader.nonce = script.nonce; }
    loader.setAttribute("data-passgate-loader", src);
    loader.setAttribute("data-passgate-state", "loading");
    loader.addEventListener("load", function () { loader.setAttribute("data-passgate-state", "loaded"); });
    loader.addEventListener("error", function () { loader.setAttribute("data-passgate-state", "failed"); });
    document.head.appendChild(loader);
  }
  function fail() {
    box.setAttribute("data-passgate-state", "failed");
    hint.hidden = false;
  }
  var api = { turnstile: "turnstile", recaptcha: "grecaptcha", hcaptcha: "hcaptcha" }[provider];
  function ready() {
    if (api) { return !!(window[api] && window[api].render); }
    return !!window.loadCaptchala;
  }
  function render() {
    var key = target.getAttribute("data-sitekey");
    var action = target.getAttribute("data-action");
    var cdata = target.getAttribute("data-cdata");
    if (api) {
      var params = { sitekey: key };
      if (provider === "turnstile") {
        if (action) { params.action = action; }
        if (cdata) { params.cdata = cdata; }
      }
      window[api].render(target, params);
      box.setAttribute("data-passgate-state", "rendered");
      return;
    }
    window.loadCaptchala(function () {
      var config = { appKey: key, action: action || "default", product: "embed" };
      var serverToken = target.getAttribute("data-server-token");
      if (serverToken) { config.serverToken = serverToken; }
      var field = box.querySelector("input[name='" + box.getAttribute("data-passgate-field") + "']");
      var widget = window.Captchala.init(config);
      widget.onSuccess(function (result) { field.value = result ? (result.token || "") : ""; });
      widget.appendTo("#" + target.id);
      box.setAttribute("data-passgate-state", "rendered");
    }, fail);
  }
  var waited = 0;
  (function poll() {
    var state = loader.getAttribute("data-passgate-state");
    if (state === "failed") { return fail(); }
    if (state === "loaded" && ready()) {
      try { render(); } catch (error) { fail(); }
      return;
    }
    waited += 50;
    if (waited > 20000) { return fail(); }
    setTimeout(poll, 50);
  })();
})();
