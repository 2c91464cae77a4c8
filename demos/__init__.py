"""Teaching demos: each script teaches one idea of the lectures, in seconds, with pictures.

    chainrule demo                  # list them
    chainrule demo two_points       # run one (pictures in out/two_points/)
    chainrule demo tour             # the short guided tour: neuron, then moons
    python -m demos.moons --quick --out /tmp/moons --seed 1

Every demo takes ``--out DIR`` (default ``out/<demo>/``), ``--seed N`` and ``--quick``, prints a
short narrated account with the numbers, writes its pictures atomically into the folder, and
returns a result whose claim the tests assert (``demos.<name>.run(out, seed, quick) -> dict``).
Plots need matplotlib (``pip install 'chainrule[demos]'``); without it the demos still run and
print one line saying the plots were skipped.

Importing this package imports nothing else: `DEMOS` is just the registry.
"""

DEMOS: dict[str, str] = {
    "neuron": "tanh(x1*w1 + x2*w2 + b): forward, narrated backward, the graph as SVG",
    "two_points": "gradient descent on a sigmoid neuron; hand formulas = engine, every epoch",
    "softmax_classifier": "3-input sigmoid/softmax network: forward by hand, one chain rule",
    "delta_rule": "the δ recursion by hand equals the engine for every weight",
    "random_projection": "a fixed random sign layer makes XOR and circles linearly separable",
    "perceptron_logic": "step perceptrons compute AND, OR, NAND, NOT; the rule never learns XOR",
    "step_units": "two step units make a bump, four a tower; N bumps approximate sin",
    "universal_approximation": "ReLU rectangles, then a trained net, approximate a 1-D function",
    "activations": "every activation of the lecture's table and its derivative, checked",
    "custom_op": "write your own op (forward + local derivative); gradcheck catches mistakes",
    "depth_vs_width": "wide MLP(2, [27, 1]) vs deep MLP(2, [6, 6, 6, 1]), 109 parameters each",
    "moons": "micrograd's demo: MLP(2, [16, 16, 1]) reaches 100% on two moons",
    "overfitting": "101 weights fit 40 noisy moons, 200 new ones do worse; L2 narrows the gap",
    "batch_sizes": "full-batch vs mini-batch vs stochastic gradient descent: updates and noise",
    "optimizers": "SGD, momentum and Adam on the same problem, loss curves side by side",
    "newton": "gradient descent vs Newton's method on Rosenbrock, the Hessian by double backward",
    "forward_vs_reverse": "forward vs reverse mode: n jvp passes or 1 backward pass, and back",
    "classify": "three-class spirals with softmax cross-entropy, and the decision regions",
}
"""Demo name -> one-line summary, in lecture order."""

TOUR: tuple[str, ...] = ("neuron", "moons")
"""The short guided tour ``chainrule demo tour`` runs, in order."""

__all__ = ["DEMOS", "TOUR"]
