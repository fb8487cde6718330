"""SIP layer: message and SDP parsing, compact headers, the response-code reference."""
