"""The Textual console: dashboard panes, the call and registration screens, themes.

The only package that imports textual and rich (besides rich in the CLI).
"""
