"""Packet layer: capture readers, link layers, IP reassembly, UDP and TCP."""
