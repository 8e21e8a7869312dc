"""GPU and CPU baselines: analytic and measured backends, device files under hwconfigs/baselines."""
