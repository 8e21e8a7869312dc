"""Tables, plots and files made from finished results (reads results only)."""
