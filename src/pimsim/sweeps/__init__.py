"""Design-space sweeps: sweep files expanded into points, run on local processes or Dask, cached on disk."""
