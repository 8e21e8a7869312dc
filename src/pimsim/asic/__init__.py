"""PIM command set extensions and the ASIC controller's vector units."""
