// chainrule's step player: applies the per-step changes (data in #player-data) to the one SVG.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var data = JSON.parse($("player-data").textContent);
  var steps = data.steps, last = steps.length, names = data.names, consumers = data.consumers;
  var tol = data.tolerance;
  var prev = $("prev"), next = $("next"), slider = $("slider"), counter = $("counter");
  var caption = $("caption"), narration = $("narration"), gradsOut = $("grads");
  var practiceBox = $("practice"), quizForm = $("quiz"), promptEl = $("prompt");
  var question = $("question"), answerBox = $("answer"), feedback = $("feedback");
  var scoreEl = $("score"), viewport = $("viewport"), canvas = $("canvas");
  var current = 0;

  // ---- the boxes of the drawing ---------------------------------------------------------
  var boxes = [], edgesTo = {}, shown = [], active = [];
  function index() {
    boxes = []; edgesTo = {}; shown = []; active = [];
    for (var i = 0; i < names.length; i++) {
      var g = $("n-v" + i), grad = g && g.querySelector("text.grad");
      boxes.push(grad ? { grad: grad, badge: g.querySelector("text.badge"),
                          room: Number(grad.getAttribute("data-w")) || 0 } : null);
    }
    var edges = canvas.querySelectorAll("g.edge[data-k]");
    for (var e = 0; e < edges.length; e++) {
      var k = edges[e].getAttribute("data-k");
      (edgesTo[k] = edgesTo[k] || []).push(edges[e]);
    }
  }

  function stateAt(k) {  // every Value's grad text and contributions received after k steps
    var texts = [], got = [];
    for (var i = 0; i < names.length; i++) { texts.push(null); got.push(0); }
    for (var s = 0; s < k; s++) {
      var set = steps[s].set;
      for (var j = 0; j < set.length; j++) { texts[set[j][0]] = set[j][1]; got[set[j][0]] = set[j][2]; }
    }
    return { texts: texts, got: got };
  }

  function paintBox(i, text, got) {
    var box = boxes[i], partial = text !== null && got < consumers[i];
    var key = text === null ? "?" : text + (partial ? "|" + got : "");
    if (!box || shown[i] === key) { return; }
    shown[i] = key;
    box.grad.textContent = "grad " + (text === null ? "?" : text);
    box.grad.setAttribute("class", "grad" + (text === null ? " unknown" : partial ? " partial" : ""));
    if (box.badge) { box.badge.textContent = partial ? "partial " + got + "/" + consumers[i] : ""; }
    box.grad.removeAttribute("textLength");
    box.grad.removeAttribute("lengthAdjust");
    if (box.room > 0 && box.grad.getComputedTextLength() > box.room) {  // squeeze, never spill
      box.grad.setAttribute("textLength", String(box.room));
      box.grad.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }

  function highlight(k) {
    active.forEach(function (el) { el.classList.remove("active"); });
    active = [];
    if (k < 0) { return; }
    [$("n-v" + k), $("n-o" + k)].concat(edgesTo[String(k)] || []).forEach(function (el) {
      if (el) { el.classList.add("active"); active.push(el); }
    });
    follow(active[0]);
  }

  function summary(state) {
    var lines = [];
    for (var i = 0; i < names.length; i++) {
      var text = state.texts[i];
      if (text === null) { continue; }
      var partial = state.got[i] < consumers[i];
      lines.push(names[i] + " " + text + (partial ? "  (partial: " + state.got[i] + " of " +
                 consumers[i] + " edges)" : ""));
    }
    return lines.length ? lines.join("\n") : "none yet";
  }

  // ---- moving ---------------------------------------------------------------------------
  function show(k) {
    k = Math.max(0, Math.min(last, Math.floor(Number(k)) || 0));  // not k | 0: #4294967296 is 0
    current = k;
    if (data.frames) { swapFrame(k); }
    var state = stateAt(k);
    for (var i = 0; i < names.length; i++) { paintBox(i, state.texts[i], state.got[i]); }
    highlight(k ? (steps[k - 1].k === undefined ? -1 : steps[k - 1].k) : -1);
    focusOn(k ? steps[k - 1].focus : null);
    caption.textContent = k ? steps[k - 1].caption : data.forwardCaption || "forward pass";
    narration.textContent = k ? steps[k - 1].text : data.forward;
    gradsOut.textContent = data.frames ? (k ? steps[k - 1].grads : data.forwardGrads)
                                       : summary(state);
    slider.value = String(k);
    prev.disabled = k === 0;
    next.disabled = k === last;
    counter.textContent = k === 0 ? "forward" : "step " + k + " / " + last;
    document.body.setAttribute("data-step", String(k));
    showScore();
  }

  function move(k) { cancelQuiz(); feedback.textContent = ""; show(k); }

  // Forward by the slider (or End) in practice mode: stop at the first step whose questions
  // are not answered yet and ask them, so no question is skipped unseen.
  function seek(k) {
    k = Math.max(0, Math.min(last, Math.floor(Number(k)) || 0));
    if (practiceBox.checked) {
      for (var t = (quiz ? quiz.step - 1 : current) + 1; t <= k; t++) {
        if (!practiced[t] && steps[t - 1].ask && steps[t - 1].ask.length) {
          cancelQuiz();
          feedback.textContent = "";
          startQuiz(t);
          return;
        }
      }
    }
    move(k);
  }

  function goNext() {
    if (quiz) { return; }
    var t = current + 1;
    if (t > last) { return; }
    feedback.textContent = "";
    if (practiceBox.checked && !practiced[t] && steps[t - 1].ask && steps[t - 1].ask.length) {
      startQuiz(t);
    } else {
      show(t);
    }
  }

  // ---- practice -------------------------------------------------------------------------
  var quiz = null, practiced = {}, score = { asked: 0, first: 0, second: 0, shown: 0 };
  // the same numbers as engine.step.answers.parse_answer: a single comma between digits is a
  // decimal comma (-1,5 is -1.5), spaces only around the number and the slash ("1 5" is not 15)
  var NUM = "[+-]?(?:\\d+,\\d+|\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?";
  var ANSWER = new RegExp("^\\s*(" + NUM + ")\\s*(?:/\\s*(" + NUM + ")\\s*)?$");

  function parseAnswer(raw) {  // a number or a fraction a/b; never evaluated as code
    var s = String(raw).normalize("NFKC").replace(/[\u2212\u2013\u2010]/g, "-");
    if (!s.trim()) { return { error: "type a number first, e.g. -1.5, 2e-3 or 1/2" }; }
    var m = ANSWER.exec(s);
    if (!m) {
      return { error: "could not read \u201c" + raw + "\u201d: type a number like -1.5 (or " +
               "-1,5) or 2e-3, or a fraction like 1/2" };
    }
    var value = Number(m[1].replace(",", "."));
    if (m[2] !== undefined) {
      var below = Number(m[2].replace(",", "."));
      if (below === 0) { return { error: "\u201c" + raw + "\u201d divides by zero" }; }
      value = value / below;
    }
    if (!isFinite(value)) { return { error: "\u201c" + raw + "\u201d is too large" }; }
    return { value: value };
  }

  // The one grading rule (engine.step.answers.grading) comes as data: right inside [lo, hi];
  // else the nearest known mistake whose interval holds the answer is named.
  function close(x, want) {
    var g = want.grade;
    if (!g) { return Math.abs(x - want.want) <= Math.max(tol.rel * Math.abs(want.want), tol.abs); }
    return g.lo !== null && g.lo <= x && x <= g.hi;
  }
  function mistakeFor(x, want) {
    var g = want.grade, best = null;
    if (!g) { return null; }
    for (var i = 0; i < g.mistakes.length; i++) {
      var m = g.mistakes[i];
      if (m[1] <= x && x <= m[2] && (best === null || Math.abs(x - m[3]) < Math.abs(x - best[3]))) {
        best = m;
      }
    }
    return best ? best[0] : null;
  }

  function say(kind, text) {
    var p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    feedback.appendChild(p);
  }

  function startQuiz(t) {
    show(t - 1);
    quiz = { step: t, q: 0, tries: 0 };
    if (data.quizFrames) { putSvg(data.quizFrames[t - 1]); }  // this layer marked, δ not shown
    highlight(steps[t - 1].k === undefined ? -1 : steps[t - 1].k);
    focusOn(steps[t - 1].focus);
    caption.textContent = steps[t - 1].caption + ": your turn";
    narration.textContent = "";
    promptEl.textContent = steps[t - 1].prompt;
    quizForm.hidden = false;
    next.disabled = true;
    document.body.setAttribute("data-quiz", String(t));
    ask();
  }

  function ask() {
    var asks = steps[quiz.step - 1].ask;
    var asked = asks[quiz.q], digits = asked.grade && asked.grade.digits;
    question.textContent = "(" + (quiz.q + 1) + " of " + asks.length + ") " + asked.ask +
      (asked.given ? "   from " + asked.given : "") +
      (digits ? "   (a likely slip is near: give " + digits + " digits)" : "");
    answerBox.value = "";
    answerBox.focus();
  }

  function cancelQuiz() {
    if (!quiz) { return; }
    quiz = null;
    quizForm.hidden = true;
    document.body.removeAttribute("data-quiz");
  }

  function finishQuiz() {
    var t = quiz.step;
    practiced[t] = true;
    cancelQuiz();
    show(t);
  }

  function check(event) {
    if (event) { event.preventDefault(); }
    if (!quiz) { return; }
    var want = steps[quiz.step - 1].ask[quiz.q], got = parseAnswer(answerBox.value);
    if (got.error) { say("bad", got.error); return; }
    if (close(got.value, want)) {
      score.asked++;
      if (quiz.tries === 0) { score.first++; } else { score.second++; }
      say("right", "\u2713 right: " + want.name + " = " + want.text);
      quiz.q++;
      quiz.tries = 0;
      if (quiz.q >= steps[quiz.step - 1].ask.length) { finishQuiz(); } else { ask(); }
    } else if (quiz.tries === 0) {
      quiz.tries = 1;
      var slip = mistakeFor(got.value, want);
      say("wrong", "\u2717 " + answerBox.value.trim() + " is not " + want.name +
          (slip ? ": " + slip : ".") + " Try again.");
      say("hint-text", "Hint: " + want.hint);
      answerBox.select();
    } else {
      score.asked++;
      score.shown++;
      say("wrong", "\u2717 not " + answerBox.value.trim() + " either: " + want.name + " = " +
          want.text + ". Here is the step.");
      finishQuiz();
    }
    showScore();
  }

  function showScore() {
    scoreEl.hidden = !practiceBox.checked;
    var done = current === last && !quiz;
    scoreEl.textContent = (done ? "Final score: " : "Score so far: ") + score.first + " of " +
      score.asked + " right first time, " + score.second + " after a hint, " + score.shown +
      " shown" + (score.asked ? " (" + Math.round(100 * score.first / score.asked) + "%)" : "");
    scoreEl.setAttribute("data-final", done ? "yes" : "no");
    scoreEl.setAttribute("data-first", String(score.first));
    scoreEl.setAttribute("data-second", String(score.second));
    scoreEl.setAttribute("data-shown", String(score.shown));
    scoreEl.setAttribute("data-asked", String(score.asked));
  }

  // ---- zoom and pan ---------------------------------------------------------------------
  var svg = canvas.querySelector("svg"), view = { s: 1, x: 0, y: 0, auto: true };
  var natural = { w: 1, h: 1 }, drag = null, focused = null;
  function measureNatural() {
    canvas.style.transform = "none";
    var r = svg.getBoundingClientRect();
    natural = { w: Math.max(r.width, 1), h: Math.max(r.height, 1) };
  }
  function apply() {
    canvas.style.transform = "translate(" + view.x + "px," + view.y + "px) scale(" + view.s + ")";
    $("zoom-level").textContent = Math.round(view.s * 100) + "%";
  }
  function fit(whole) {  // the whole graph; at first, no smaller than readable (then follow)
    var vw = viewport.clientWidth, vh = viewport.clientHeight;
    var s = Math.max(0.02, Math.min(2, vw / natural.w, vh / natural.h));
    var slide = document.body.classList.contains("slide");  // a slide: always the whole graph
    if (whole !== true && !slide && s < 0.4) { s = 0.8; }  // too small to read: readable, follow
    view.s = s;
    view.x = Math.max(0, (vw - natural.w * s) / 2);
    view.y = Math.max(0, (vh - natural.h * s) / 2);
    view.auto = true;
    apply();
  }
  function zoomAt(factor, cx, cy) {
    var s = Math.max(0.02, Math.min(8, view.s * factor));
    view.x = cx - (cx - view.x) * (s / view.s);
    view.y = cy - (cy - view.y) * (s / view.s);
    view.s = s;
    view.auto = false;
    apply();
  }
  function zoomCentre(factor) { zoomAt(factor, viewport.clientWidth / 2, viewport.clientHeight / 2); }
  function follow(el) {  // pan so the active node is in view (only when it is not)
    if (!el) { return; }
    var v = viewport.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom) { return; }
    view.x += (v.left + v.width / 2) - (r.left + r.width / 2);
    view.y += (v.top + v.height / 2) - (r.top + r.height / 2);
    apply();
  }
  function putSvg(markup) {  // pages whose drawing changes as a whole (δ mode, old pages)
    canvas.innerHTML = markup;
    svg = canvas.querySelector("svg");
    index();
  }
  function swapFrame(k) { putSvg(data.frames[k]); }
  function focusOn(name) { focused = name ? titled(name) : null; follow(focused); }
  function titled(name) {  // the drawing's node whose Graphviz name (its <title>) is `name`
    var titles = canvas.querySelectorAll("g.node > title");
    for (var i = 0; i < titles.length; i++) {
      if (titles[i].textContent === name) { return titles[i].parentNode; }
    }
    return null;
  }

  $("zoom-in").addEventListener("click", function () { zoomCentre(1.25); });
  $("zoom-out").addEventListener("click", function () { zoomCentre(0.8); });
  $("zoom-fit").addEventListener("click", function () { fit(true); });
  $("zoom-one").addEventListener("click", function () { zoomCentre(1 / view.s); });
  viewport.addEventListener("wheel", function (event) {
    event.preventDefault();
    var r = viewport.getBoundingClientRect();
    zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - r.left, event.clientY - r.top);
  }, { passive: false });
  viewport.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) { return; }
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
    try { viewport.setPointerCapture(event.pointerId); } catch (e) { /* synthetic events */ }
    viewport.classList.add("dragging");
  });
  viewport.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    view.x = drag.vx + event.clientX - drag.x;
    view.y = drag.vy + event.clientY - drag.y;
    view.auto = false;
    apply();
  });
  function endDrag() { drag = null; viewport.classList.remove("dragging"); }
  viewport.addEventListener("pointerup", endDrag);
  viewport.addEventListener("pointercancel", endDrag);
  window.addEventListener("resize", function () {
    if (view.auto) { fit(); follow(active[0] || focused); }
  });

  // ---- controls -------------------------------------------------------------------------
  prev.addEventListener("click", function () { move(quiz ? current : current - 1); });
  next.addEventListener("click", goNext);
  slider.addEventListener("input", function () { seek(Number(slider.value)); });
  quizForm.addEventListener("submit", check);
  practiceBox.addEventListener("change", function () {
    if (!practiceBox.checked && quiz) { var t = quiz.step; cancelQuiz(); show(t); }
    showScore();
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target === answerBox || (target && target.tagName === "INPUT" && target.type === "text")) {
      return;  // typing an answer: no stepping or zooming
    }
    if (event.key === "+" || event.key === "=") { zoomCentre(1.25); return; }
    if (event.key === "-" || event.key === "_") { zoomCentre(0.8); return; }
    if (event.key === "0") { fit(true); return; }
    if (target === slider) { return; }  // the slider handles its own arrow keys
    var moves = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 };
    if (event.key in moves) {
      event.preventDefault();
      if (moves[event.key] > 0) { goNext(); } else { move(quiz ? current : current - 1); }
    } else if (event.key === "Home") { event.preventDefault(); move(0); }
    else if (event.key === "End") { event.preventDefault(); seek(last); }
  });

  // ---- the URL fragment: "#5" opens step 5; "#play=a,b,..." replays actions -----------------
  function rect(el) {
    var r = el.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  }
  function measure() {
    var list = JSON.parse(document.body.getAttribute("data-measure") || "[]");
    var n = $("note").getBoundingClientRect();
    var probe = document.elementFromPoint(n.left + 8, n.top + 8);
    list.push({ step: current, graph: rect(svg), natural: [natural.w, natural.h], scale: view.s,
                panel: rect(viewport), note: rect($("note")), narration: rect(narration), side: rect($("side")),
                window: [window.innerWidth, window.innerHeight],
                noteOnTop: !!(probe && $("note").contains(probe)) });
    document.body.setAttribute("data-measure", JSON.stringify(list));
  }
  function mouse(what) {  // "wheel:DY" over the panel's centre; "drag:DX:DY" from it
    var r = viewport.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
    var parts = what.split(":").slice(1).map(Number);
    if (what.indexOf("wheel:") === 0) {
      viewport.dispatchEvent(new WheelEvent("wheel", { deltaY: parts[0], clientX: x, clientY: y,
                                                       bubbles: true, cancelable: true }));
      return;
    }
    var at = function (type, dx, dy) {
      viewport.dispatchEvent(new PointerEvent(type, { pointerId: 1, button: 0, bubbles: true,
                                                      clientX: x + dx, clientY: y + dy }));
    };
    at("pointerdown", 0, 0);
    at("pointermove", parts[0], parts[1]);
    at("pointerup", parts[0], parts[1]);
  }
  // A replay is bounded: "next*999999999" or a fragment of a million actions would freeze the
  // page. No replay needs more than a few passes over the steps (next and prev stop at the ends).
  var MAX_REPLAYED = 4 * last + 1000, replayed = 0;
  function act(action) {
    var star = action.lastIndexOf("*"), what = action, times = 1;
    if (star > 0 && /^\d+$/.test(action.slice(star + 1))) {
      what = action.slice(0, star);
      times = Number(action.slice(star + 1));
    }
    times = Math.max(0, Math.min(times, MAX_REPLAYED - replayed));
    replayed += times;
    document.body.setAttribute("data-replayed", String(replayed));
    if (replayed >= MAX_REPLAYED) { document.body.setAttribute("data-replay-capped", "true"); }
    for (var t = 0; t < times; t++) {
      if (what === "next") { next.click(); }
      else if (what === "prev") { prev.click(); }
      else if (what === "measure") { measure(); }
      else if (what.indexOf("key:") === 0) {
        document.dispatchEvent(new KeyboardEvent("keydown", { key: what.slice(4), bubbles: true }));
      } else if (what.indexOf("slide:") === 0) {
        slider.value = what.slice(6);
        slider.dispatchEvent(new Event("input", { bubbles: true }));
      } else if (what.indexOf("practice:") === 0) {
        if (practiceBox.checked !== (what.slice(9) === "on")) { practiceBox.click(); }
      } else if (what.indexOf("answer:") === 0) {
        answerBox.value = what.slice(7);
        $("check").click();
      } else if (what.indexOf("zoom:") === 0) {
        $("zoom-" + what.slice(5)).click();
      } else if (what.indexOf("wheel:") === 0 || what.indexOf("drag:") === 0) {
        mouse(what);
      }
    }
  }

  index();
  measureNatural();
  fit();
  show(0);
  // each action is decoded after the split, so "answer:-1%2C5" types -1,5 (a decimal comma)
  var hash = window.location.hash.slice(1), actions = null;
  try {
    actions = hash.split(",", MAX_REPLAYED).map(function (a) { return decodeURIComponent(a); });
  } catch (e) { /* a bad %XX: no replay */ }
  if (actions && actions.length === 1 && /^\d+$/.test(actions[0])) { show(Number(actions[0])); }
  else if (actions && actions[0].indexOf("play=") === 0) {
    actions[0] = actions[0].slice(5);
    actions.forEach(act);
  }
})();
