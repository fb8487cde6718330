"""Host collectors: iptables, conntrack, kernel counters, processes and log files.

Each collector is a pure `parse_…` function over text plus a thin reader that runs the
command or reads the file; none of them imports textual or rich.
"""
