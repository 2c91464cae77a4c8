"""Beside the core: gradients as graphs, Jacobians and Hessians, forward mode, anomaly mode,
gradcheck, custom ops."""
