"""Engine: dialogs, calls (B2BUA legs paired), registrations, gateways, sources."""
