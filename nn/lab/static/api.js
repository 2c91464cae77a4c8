// The lab's page shell: the token, JSON calls, sockets, errors in words, and the tabs.
// window.lab = { token, api, get, socket, showError, clearError, openGraph, showTab }
(function () {
  "use strict";
  var token = new URLSearchParams(window.location.search).get("token") || "";

  function failure(response, data) {
    var message = (data && data.error) || ("the lab answered " + response.status);
    var error = new Error(message);
    error.status = response.status;
    error.field = data && data.field;
    return error;
  }

  function call(path, options) {
    options.headers = Object.assign({ "X-Lab-Token": token }, options.headers || {});
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (!response.ok || (data && data.error)) { throw failure(response, data); }
        return data;
      });
    }, function () {
      throw new Error("the lab server does not answer: is `chainrule lab` still running?");
    });
  }

  function api(path, payload) {
    return call(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload || {})
    });
  }

  function get(path) { return call(path, { method: "GET" }); }

  function socket(path) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var joiner = path.indexOf("?") < 0 ? "?" : "&";
    return new WebSocket(scheme + window.location.host + path + joiner + "token=" +
                         encodeURIComponent(token));
  }

  function showError(element, message) {
    if (!element) { return; }
    element.textContent = message;
    element.hidden = false;
  }

  function clearError(element) {
    if (!element) { return; }
    element.textContent = "";
    element.hidden = true;
  }

  function showTab(id) {
    var tabs = document.querySelectorAll(".tabs [role=tab]");
    for (var i = 0; i < tabs.length; i++) {
      var panel = document.getElementById(tabs[i].getAttribute("data-tab"));
      var on = tabs[i].getAttribute("data-tab") === id;
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
      if (panel) { panel.hidden = !on; }
    }
  }

  function openGraph(graphId) {
    showTab("expression-bench");
    if (window.lab.expression) { return window.lab.expression.load(graphId); }
    return Promise.reject(new Error("the expression bench is not loaded"));
  }

  window.lab = {
    token: token, api: api, get: get, socket: socket, showError: showError,
    clearError: clearError, openGraph: openGraph, showTab: showTab, expression: null
  };

  document.addEventListener("DOMContentLoaded", function () {
    var tabs = document.querySelectorAll(".tabs [role=tab]");
    for (var i = 0; i < tabs.length; i++) {
      tabs[i].addEventListener("click", function (event) {
        showTab(event.currentTarget.getAttribute("data-tab"));
      });
    }
  });
})();
