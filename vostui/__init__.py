"""vostui: the incident console for VoIP softswitches."""

__version__ = "0.1.0"
