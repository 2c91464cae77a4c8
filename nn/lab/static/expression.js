// The expression bench: build a graph, step its backward pass, practise, read the derivations.
// Every number shown comes from the server (the engine); this file only places it.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = { data: null, graph: null, pos: 0, question: 0, practice: false };

  function choices() {
    var digits = $("expr-digits").value, notation = $("expr-notation").value;
    return { digits: digits === "" ? null : parseInt(digits, 10), notation: notation || "default" };
  }

  function clearErrors() {
    ["expr-error", "expr-values-error", "expr-answer-error"].forEach(function (id) {
      window.lab.clearError($(id));
    });
    $("expr-input").classList.remove("invalid");
    $("expr-values").classList.remove("invalid");
  }

  function showBuildError(error) {
    var values = error.field === "values";
    window.lab.showError($(values ? "expr-values-error" : "expr-error"), error.message);
    $(values ? "expr-values" : "expr-input").classList.add("invalid");
  }

  function build(event) {
    if (event) { event.preventDefault(); }
    clearErrors();
    var payload = choices();
    payload.expression = $("expr-input").value;
    payload.values = $("expr-values").value;
    $("expr-build").disabled = true;
    return window.lab.api("api/expr/build", payload).then(function (data) {
      show(data, 0);
    }, showBuildError).then(function () { $("expr-build").disabled = false; });
  }

  function load(graphId, keep) {
    clearErrors();
    var payload = choices();
    payload.graph = graphId;
    return window.lab.api("api/expr/view", payload).then(function (data) {
      show(data, keep ? state.pos : 0);
    }, function (error) { window.lab.showError($("expr-error"), error.message); });
  }

  function show(data, pos) {
    state.data = data;
    state.graph = data.graph;
    state.pos = Math.min(pos, data.steps.length);
    state.question = 0;
    $("expr-title").textContent = data.title + "  (" + data.nodes + " nodes)";
    var holder = $("expr-graph");
    if (data.svg) {
      holder.innerHTML = data.svg;
    } else {
      holder.textContent = "";
      var note = document.createElement("p");
      note.className = "muted";
      note.id = "expr-graph-message";
      note.textContent = data.svg_message;
      holder.appendChild(note);
    }
    showDerivations(data.derivations);
    $("expr-feedback").textContent = "";
    render();
  }

  function showDerivations(items) {
    var box = $("expr-derivations");
    box.textContent = "";
    items.forEach(function (item) {
      var div = document.createElement("div");
      div.className = "derivation";
      div.setAttribute("data-name", item.name);
      if (item.latex && window.katex) {
        window.katex.render(item.latex, div, { displayMode: true, throwOnError: false });
      } else {
        div.textContent = item.latex || item.message;
      }
      box.appendChild(div);
    });
  }

  function applied() {
    var texts = {}, received = {}, steps = state.data.steps;
    for (var s = 0; s < state.pos; s++) {
      steps[s].set.forEach(function (change) {
        texts[change[0]] = change[1];
        received[change[0]] = change[2];
      });
    }
    return { texts: texts, received: received };
  }

  function isPartial(k, received) {
    var consumers = state.data.consumers[k];
    return consumers > 0 && received[k] < consumers;
  }

  function paintGraph(now) {
    var holder = $("expr-graph");
    var active = holder.querySelectorAll(".active");
    for (var a = 0; a < active.length; a++) { active[a].classList.remove("active"); }
    state.data.names.forEach(function (name, k) {
      var box = $("n-v" + k), grad = box && box.querySelector("text.grad");
      if (!grad) { return; }
      var known = now.texts.hasOwnProperty(k), partial = known && isPartial(k, now.received);
      grad.textContent = known ? "grad " + now.texts[k] : "grad ?";
      grad.classList.toggle("partial", partial);
      var badge = box.querySelector("text.badge");
      if (badge) {
        badge.textContent = partial ?
          "partial " + now.received[k] + "/" + state.data.consumers[k] : "";
      }
    });
    if (state.pos > 0) {
      var k = state.data.steps[state.pos - 1].k;
      ["n-v" + k, "n-o" + k].forEach(function (id) { if ($(id)) { $(id).classList.add("active"); } });
      var edges = holder.querySelectorAll('g.edge[data-k="' + k + '"]');
      for (var e = 0; e < edges.length; e++) { edges[e].classList.add("active"); }
    }
  }

  function paintTable(now) {
    var body = $("expr-grads").querySelector("tbody");
    body.textContent = "";
    state.data.names.forEach(function (name, k) {
      if (!now.texts.hasOwnProperty(k)) { return; }
      var row = document.createElement("tr");
      row.setAttribute("data-name", name);
      if (isPartial(k, now.received)) { row.className = "partial"; }
      [name, now.texts[k]].forEach(function (text) {
        var cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function paintPractice() {
    var panel = $("expr-practice-panel"), steps = state.data.steps;
    window.lab.clearError($("expr-answer-error"));  // an old answer's error is stale now
    panel.hidden = !state.practice || state.pos >= steps.length;
    if (panel.hidden) { return; }
    var step = steps[state.pos], asked = step.ask[state.question];
    $("expr-prompt").textContent = step.prompt;
    $("expr-question").textContent = asked ? asked.ask :
      "This step asks nothing to compute: press Next ▶.";
    $("expr-answer").disabled = !asked;
    $("expr-check").disabled = !asked;
    $("expr-reveal").disabled = !asked;
  }

  function render() {
    if (!state.data) { return; }
    var steps = state.data.steps, now = applied();
    $("expr-caption").textContent = state.pos === 0 ?
      "step 0 of " + steps.length + ": the forward pass, no gradients yet" :
      steps[state.pos - 1].caption;
    $("expr-narration").textContent = state.pos === 0 ? state.data.forward :
      steps[state.pos - 1].text;
    paintGraph(now);
    paintTable(now);
    paintPractice();
    $("expr-prev").disabled = state.pos === 0;
    $("expr-first").disabled = state.pos === 0;
    $("expr-next").disabled = state.pos >= steps.length;
    $("expr-last").disabled = state.pos >= steps.length;
  }

  function go(pos) {
    if (!state.data) { return; }
    state.pos = Math.max(0, Math.min(pos, state.data.steps.length));
    state.question = 0;
    render();
  }

  function feedback(text, right) {
    var box = $("expr-feedback");
    box.textContent = text;
    box.className = "feedback " + (right ? "right" : "wrong");
  }

  function advanceQuestion() {
    state.question += 1;
    if (state.question >= state.data.steps[state.pos].ask.length) {
      state.pos += 1;
      state.question = 0;
    }
    $("expr-answer").value = "";
    render();
  }

  function check() {
    window.lab.clearError($("expr-answer-error"));
    var payload = choices();
    payload.graph = state.graph;
    payload.step = state.pos;
    payload.question = state.question;
    payload.answer = $("expr-answer").value;
    return window.lab.api("api/expr/answer", payload).then(function (verdict) {
      if (verdict.right) {
        feedback("right: " + verdict.value, true);
        advanceQuestion();
      } else {
        feedback("wrong (" + verdict.message + "). Hint: " + verdict.hint, false);
      }
    }, function (error) { window.lab.showError($("expr-answer-error"), error.message); });
  }

  function reveal() {
    var asked = state.data.steps[state.pos].ask[state.question];
    feedback("shown: " + asked.name + " = " + asked.text, false);
    advanceQuestion();
  }

  function onKey(event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea" || !state.data) { return; }
    var moves = { ArrowRight: 1, ArrowLeft: -1 };
    if (moves[event.key]) { go(state.pos + moves[event.key]); }
    else if (event.key === "Home") { go(0); }
    else if (event.key === "End") { go(state.data.steps.length); }
  }

  function fillOptions(options) {
    var digits = $("expr-digits");
    options.digits.forEach(function (d) {
      if (d === null) { return; }
      var option = document.createElement("option");
      option.value = String(d);
      option.textContent = String(d);
      digits.appendChild(option);
    });
    var notation = $("expr-notation");
    notation.textContent = "";
    options.notations.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      notation.appendChild(option);
    });
  }

  function reload() { if (state.graph) { load(state.graph, true); } }

  document.addEventListener("DOMContentLoaded", function () {
    $("expr-form").addEventListener("submit", build);
    $("expr-first").addEventListener("click", function () { go(0); });
    $("expr-prev").addEventListener("click", function () { go(state.pos - 1); });
    $("expr-next").addEventListener("click", function () { go(state.pos + 1); });
    $("expr-last").addEventListener("click", function () { go(state.data.steps.length); });
    $("expr-practice").addEventListener("change", function (event) {
      state.practice = event.target.checked;
      state.question = 0;
      render();
    });
    $("expr-check").addEventListener("click", check);
    $("expr-reveal").addEventListener("click", reveal);
    $("expr-answer").addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); check(); }
    });
    $("expr-digits").addEventListener("change", reload);
    $("expr-notation").addEventListener("change", reload);
    document.addEventListener("keydown", onKey);
    window.lab.get("api/expr/options").then(fillOptions, function (error) {
      window.lab.showError($("expr-error"), error.message);
    });
  });

  window.lab.expression = { load: load, build: build, go: go, state: state };
})();
