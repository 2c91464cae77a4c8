"""The autodiff core: grad mode, the op table and its maths, Value, graph walks, the chain-rule
walker."""
