"""The window's side panels: plain views that show what they are given and emit signals."""
