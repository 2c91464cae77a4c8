// The training bench: fills #training-bench. Frames come over /api/train/socket; every number
// shown is the server's (the engine's); the page only draws them.
(function () {
  "use strict";
  var state = { frame: null, losses: [], socket: null, training: false, details: null };
  var el = {};

  function make(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function select(parent, id, label, options, value) {
    var wrap = make("label", {}, parent, label + " ");
    var s = make("select", { id: id }, wrap);
    options.forEach(function (o) { make("option", { value: o }, s, o).selected = (o === value); });
    return s;
  }

  function input(parent, id, label, value, size) {
    var wrap = make("label", {}, parent, label + " ");
    return make("input", { id: id, value: String(value), size: String(size || 5) }, wrap);
  }

  // a number when the text is one, else the text itself (so the server's message names it)
  function num(text) {
    var t = String(text).trim(), n = Number(t);
    return (t !== "" && isFinite(n)) ? n : t;
  }

  function settings() {
    var hidden = el.hidden.value.trim() ? el.hidden.value.split(",").map(num) : [];
    return {
      dataset: el.dataset.value, points: num(el.points.value), noise: num(el.noise.value),
      classes: num(el.classes.value), hidden: hidden, activation: el.activation.value,
      loss: el.loss.value, optimizer: el.optimizer.value, lr: num(el.lr.value),
      momentum: num(el.momentum.value), batch_size: num(el.batch.value),
      seed: num(el.seed.value), grid: 50
    };
  }

  // the Digits the page shows numbers with (the expression bench's choice; the engine's 4 else)
  function digits() {
    var d = document.getElementById("expr-digits");
    return d && d.value ? parseInt(d.value, 10) : 4;
  }

  function shown(x) { return x === null ? "–" : Number(x.toPrecision(digits())).toString(); }

  function clearPoint() { state.details = null; el.point.innerHTML = ""; }

  function fail(error) { window.lab.showError(el.error, error.message || String(error)); }

  function call(path, payload) {
    window.lab.clearError(el.error);
    return window.lab.api(path, payload).then(function (frame) {
      if (frame && frame.update !== undefined) { receive(frame); }
      return frame;
    }).catch(fail);
  }

  function build(root) {
    var controls = make("div", { class: "train-controls" }, root);
    el.dataset = select(controls, "train-dataset", "data", ["moons", "circles", "xor", "spirals", "blobs"], "moons");
    el.points = input(controls, "train-points", "points", 200, 4);
    el.noise = input(controls, "train-noise", "noise", 0.1, 4);
    el.classes = input(controls, "train-classes", "classes", 2, 2);
    el.hidden = input(controls, "train-hidden", "hidden", "16,16", 8);
    el.activation = select(controls, "train-activation", "activation", ["tanh", "relu", "sigmoid", "leaky_relu", "gelu", "linear"], "tanh");
    el.loss = select(controls, "train-loss", "loss", ["hinge", "bce_with_logits", "mse", "cross_entropy"], "hinge");
    el.optimizer = select(controls, "train-optimizer", "optimiser", ["sgd", "adam"], "sgd");
    el.lr = input(controls, "train-lr", "lr", 0.1, 5);
    el.momentum = input(controls, "train-momentum", "momentum", 0, 4);
    el.batch = input(controls, "train-batch", "batch (0 = all)", 0, 4);
    el.seed = input(controls, "train-seed", "seed", 0, 5);
    var buttons = make("div", { class: "train-buttons" }, root);
    el.reset = make("button", { type: "button", id: "train-reset" }, buttons, "Reset");
    el.train = make("button", { type: "button", id: "train-train" }, buttons, "Train");
    el.step = make("button", { type: "button", id: "train-step" }, buttons, "One update");
    el.addClass = select(buttons, "train-class", "click adds class", ["0", "1", "2", "3", "4"], "1");
    el.error = make("p", { class: "error", id: "train-error", role: "alert" }, root);
    var status = make("p", { id: "train-status" }, root);
    el.status = status;
    // the rewind slider above the pictures, so it is on screen at 1280×720
    var rewind = make("div", { class: "train-rewind" }, root);
    make("label", { for: "train-rewind" }, rewind, "rewind to update ");
    el.rewind = make("input", { type: "range", id: "train-rewind", min: "0", max: "0", value: "0" }, rewind);
    el.rewindGo = make("button", { type: "button", id: "train-rewind-go" }, rewind, "Rewind");
    var row = make("div", { class: "train-row" }, root);
    el.canvas = make("canvas", { id: "train-canvas", width: "400", height: "400" }, row);
    var side = make("div", { class: "train-side" }, row);
    el.curve = make("canvas", { id: "train-curve", width: "360", height: "140" }, side);
    el.net = make("canvas", { id: "train-net", width: "360", height: "200" }, side);
    el.health = make("ul", { id: "train-health" }, side);
    el.point = make("div", { id: "train-point" }, root);

    el.reset.addEventListener("click", function () {
      stop(); clearPoint(); call("/api/train/config", settings());
    });
    el.step.addEventListener("click", function () { call("/api/train/step", { updates: 1 }); });
    el.train.addEventListener("click", function () {
      state.training = !state.training;
      if (state.socket && state.socket.readyState === 1) {
        state.socket.send(JSON.stringify({ train: state.training }));
      }
      el.train.textContent = state.training ? "Pause" : "Train";
    });
    el.rewindGo.addEventListener("click", function () {
      stop(); clearPoint(); call("/api/train/rewind", { update: Number(el.rewind.value) });
    });
    var digitsChoice = document.getElementById("expr-digits");
    if (digitsChoice) {
      digitsChoice.addEventListener("change", function () { if (state.frame) { showStatus(state.frame); } });
    }
    el.canvas.addEventListener("click", click);
    el.canvas.addEventListener("contextmenu", function (event) { event.preventDefault(); click(event, true); });
  }

  function stop() {
    state.training = false; el.train.textContent = "Train";
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify({ train: false })); }
  }

  function toData(event) {
    var f = state.frame, r = el.canvas.getBoundingClientRect();
    var u = (event.clientX - r.left) / r.width, v = (event.clientY - r.top) / r.height;
    return [f.box[0] + u * (f.box[1] - f.box[0]), f.box[3] - v * (f.box[3] - f.box[2])];
  }

  function nearest(xy) {
    var f = state.frame, best = -1, bestD = Infinity;
    var scale = (f.box[1] - f.box[0]) * 0.02;
    f.points.forEach(function (p, i) {
      var d = Math.hypot(p[0] - xy[0], p[1] - xy[1]);
      if (d < bestD) { bestD = d; best = i; }
    });
    return bestD <= scale ? best : -1;
  }

  function click(event, remove) {
    if (!state.frame) { return; }
    var xy = toData(event), hit = nearest(xy);
    if (remove || event.shiftKey) {
      if (hit >= 0) { call("/api/train/point", { op: "delete", index: hit }); }
      return;
    }
    if (hit >= 0) { openPoint(hit); return; }
    call("/api/train/point", { op: "add", x: xy[0], y: xy[1], "class": Number(el.addClass.value) });
  }

  function openPoint(index) {
    call("/api/train/point", { op: "select", index: index });
    window.lab.api("/api/train/details", { index: index }).then(showPoint).catch(fail);
  }

  function showPoint(d) {
    state.details = d;
    el.point.innerHTML = "";
    make("h3", {}, el.point, "point " + d.index + ": (" + d.x[0].toPrecision(4) + ", " +
      d.x[1].toPrecision(4) + "), class " + d["class"] + ", loss " + d.loss);
    make("pre", { id: "train-forward" }, el.point, d.forward);
    var go = make("button", { type: "button", id: "train-step-it" }, el.point, "Step it");
    go.addEventListener("click", function () { window.lab.openGraph(d.graph).catch(fail); });
    make("h4", {}, el.point, "δ mode, layer by layer");
    d.delta_steps.forEach(function (s) { make("pre", { class: "train-delta" }, el.point, s.text); });
  }

  var COLOURS = [[66, 133, 244], [234, 120, 60], [80, 170, 90], [160, 90, 200], [200, 180, 40]];

  function drawBoundary(f) {
    var ctx = el.canvas.getContext("2d"), n = f.grid_size, w = el.canvas.width, h = el.canvas.height;
    if (f.grid) {
      var cw = w / n, ch = h / n;
      for (var k = 0; k < f.grid.length; k++) {
        var c = COLOURS[Math.floor(f.grid[k] / 100) % 5], s = (f.grid[k] % 100) / 99 * 0.6;
        ctx.fillStyle = "rgb(" + c.map(function (v) { return Math.round(255 - (255 - v) * s); }).join(",") + ")";
        ctx.fillRect((k % n) * cw, Math.floor(k / n) * ch, cw + 1, ch + 1);
      }
    }
    f.points.forEach(function (p, i) {
      var x = (p[0] - f.box[0]) / (f.box[1] - f.box[0]) * w, y = (f.box[3] - p[1]) / (f.box[3] - f.box[2]) * h;
      var c = COLOURS[p[2] % 5];
      ctx.beginPath(); ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fillStyle = "rgb(" + c.join(",") + ")"; ctx.fill();
      ctx.lineWidth = (f.deltas && f.deltas.point === i) ? 3 : 1; ctx.strokeStyle = "#000"; ctx.stroke();
    });
  }

  function drawCurve() {
    var ctx = el.curve.getContext("2d"), w = el.curve.width, h = el.curve.height;
    ctx.clearRect(0, 0, w, h);
    var ls = state.losses.filter(function (v) { return isFinite(v); });
    if (!ls.length) { return; }
    var top = Math.max.apply(null, ls) || 1;
    ctx.beginPath();
    state.losses.forEach(function (v, i) {
      var x = i / Math.max(1, state.losses.length - 1) * w, y = h - (v / top) * (h - 10);
      if (i) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); }
    });
    ctx.strokeStyle = "#c0392b"; ctx.stroke();
    ctx.fillStyle = "#222"; ctx.fillText("loss (max " + top.toPrecision(3) + ")", 4, 12);
  }

  function drawNet(f) {
    var ctx = el.net.getContext("2d"), w = el.net.width, h = el.net.height, L = f.widths.length;
    ctx.clearRect(0, 0, w, h);
    function pos(l, j) { return [20 + l * (w - 40) / (L - 1), 10 + (j + 0.5) * (h - 20) / f.widths[l]]; }
    var biggest = 1e-9;
    f.weights.forEach(function (layer) { layer.w.forEach(function (r) { r.forEach(function (v) { biggest = Math.max(biggest, Math.abs(v)); }); }); });
    f.weights.forEach(function (layer, l) {
      layer.w.forEach(function (row, j) {
        row.forEach(function (v, i) {
          var a = pos(l, i), b = pos(l + 1, j);
          ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]);
          ctx.lineWidth = 0.3 + 3 * Math.abs(v) / biggest;
          ctx.strokeStyle = v >= 0 ? "rgba(40,90,200,0.7)" : "rgba(220,110,30,0.7)"; ctx.stroke();
        });
      });
    });
    for (var l = 0; l < L; l++) {
      for (var j = 0; j < f.widths[l]; j++) {
        var p = pos(l, j), d = (l > 0 && f.deltas) ? f.deltas.layers[l - 1][j] : null;
        ctx.beginPath(); ctx.arc(p[0], p[1], 4, 0, 2 * Math.PI);
        ctx.fillStyle = d === null ? "#fff" : (d >= 0 ? "#d33" : "#33d"); ctx.fill();
        ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.stroke();
      }
    }
  }

  function drawHealth(f) {
    el.health.innerHTML = "";
    f.health.forEach(function (h) {
      var text = "layer " + h.layer + " (" + h.units + " " + h.activation + "): gradient norm " +
        (h.grad_norm === null ? "–" : h.grad_norm.toPrecision(4)) + ", dead " + h.dead + ", saturated " + h.saturated;
      var item = make("li", {}, el.health, text);
      if (h.warning) { make("div", { class: "train-warning" }, item, h.warning); }
    });
  }

  // the loss with the page's digits; its exact value in the tooltip and in data-loss
  function showStatus(f) {
    el.status.textContent = "update " + f.update + "  epoch " + f.epoch + "  loss " +
      shown(f.loss) + "  accuracy " + (f.accuracy === null ? "–" : (100 * f.accuracy).toFixed(1) + "%");
    el.status.title = f.loss === null ? "" : "loss " + String(f.loss) + " exactly";
    el.status.setAttribute("data-loss", f.loss === null ? "" : String(f.loss));
    el.status.setAttribute("data-update", String(f.update));
  }

  function receive(f) {
    // the reply to a click and the socket can bring the same or an older frame after a newer one
    if (state.frame && f.version < state.frame.version) { return; }
    var moved = !state.frame || f.update !== state.frame.update || f.version !== state.frame.version;
    state.frame = f;
    if (f.history) {
      state.losses.length = f.history_start || 0;
      f.history.forEach(function (row) { state.losses[row[0] - 1] = row[1]; });
      state.losses.length = f.update;
    }
    showStatus(f);
    el.rewind.max = String(f.update);
    // the slider follows the run, but a frame that brings nothing new leaves the learner's choice
    if (!state.training && moved) { el.rewind.value = String(f.update); }
    if (f.error) { window.lab.showError(el.error, f.error); }
    if (f.training === false && state.training && f.error) { stop(); }
    drawBoundary(f); drawCurve(); drawNet(f); drawHealth(f);
  }

  function connect() {
    var ws = window.lab.socket("/api/train/socket");
    state.socket = ws;
    // draw on the next animation frame only: a burst of frames costs one drawing
    var pending = null;
    ws.onmessage = function (event) {
      var next = JSON.parse(event.data);
      if (next.update === undefined) {  // a message, not a frame (say, too many pages open)
        if (next.error) { window.lab.showError(el.error, next.error); }
        return;
      }
      if (pending && next.history_start > 0) {  // keep the losses of a frame not drawn yet
        next.history = pending.history.concat(next.history);
        next.history_start = pending.history_start;
      }
      pending = next;
      window.requestAnimationFrame(function () { if (pending) { receive(pending); pending = null; } });
    };
    ws.onclose = function (event) {
      state.socket = null;
      // 1013: the lab has too many pages open; try again later, not every second
      setTimeout(connect, event.code === 1013 ? 30000 : 1000);
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("training-bench");
    if (!root || !window.lab) { return; }
    build(root);
    state.receive = receive;
    window.lab.training = state;  // the losses the page holds and its frame handler (the browser tests use them)
    connect();
  });
})();
