"""The PIM command set, macro-commands, and the channel engines that run them."""
