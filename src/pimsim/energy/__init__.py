"""Energy = action counts x the energy table + static power x time. Reads counts only."""
